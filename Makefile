# One entry point for people and CI. Everything is installed here, pinned: a fresh machine needs
# only Python 3.11+, make and node (for the workflow linter and the guide's JavaScript client).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

EMULATOR_PORT ?= 5000
API_PORT ?= 3000
EVENT ?= events/login_ok.json

.PHONY: help install run invoke test unit lint validate build clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(INSTALLED): requirements/dev.txt requirements/constraints.txt layers/common/requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(INSTALLED)  ## create .venv with the pinned dependencies and the authctl command

run: $(INSTALLED)  ## serve the API on 127.0.0.1:$(API_PORT) over an in-memory AWS emulator, with demo data
	$(BIN)/python -m livekit_auth_tools.local_stack --api-port $(API_PORT) --emulator-port $(EMULATOR_PORT)

invoke: $(INSTALLED)  ## run one events/ file through the function against the running `make run` stack
	$(BIN)/python -m livekit_auth_tools.invoke --emulator-port $(EMULATOR_PORT) $(EVENT)

test: lint validate unit  ## everything CI checks

unit: $(INSTALLED)
	$(BIN)/pytest

lint: $(INSTALLED)  ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

validate: $(INSTALLED)  ## cfn-lint and sam validate on template.yaml
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region eu-west-1

build: $(INSTALLED)  ## sam build, no container needed
	$(BIN)/sam build --region eu-west-1

clean:
	rm -rf .aws-sam $(VENV) .pytest_cache .hypothesis
