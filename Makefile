# Invoice platform toolkit. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
# checkov pins its own boto3, so it lives in a virtualenv of its own (requirements-checkov.txt).
CHECKOV_VENV  := $(VENV)/tools/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
RUN         := .run
# The web UI (frontend/): npm ci when the lockfile changes, a build when a source does.
FRONTEND_DEPS  := frontend/node_modules/.package-lock.json
FRONTEND_BUILD := frontend/dist/index.html
FRONTEND_SRC   := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
                  frontend/index.html frontend/vite.config.ts frontend/tsconfig.json frontend/package.json
LOCALAWS_PORT  ?= 4566
LOCALAWS_DELAY ?= 2
PGPORT      ?= 54329
# pytest workers (pytest-xdist; 0 runs in this process) and molecule lanes run at once.
PYTEST_WORKERS ?= 2
ENV         ?= local
# make demo SERVICE_BACKEND=ecs_express: the service tier on ECS Express Mode (unset: the
# inventory's service_backend, App Runner).
SERVICE_BACKEND ?=
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help setup frontend frontend-test demo cost test up down lint lint-python lint-ansible lint-other syntax pytest molecule sanity bench clean lock pg-start pg-stop localaws-start localaws-stop

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): requirements.in constraints.txt scripts/find-python.sh
	@PYTHON_BIN=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then \
	  echo "setup: creating $(VENV) with $$PYTHON_BIN"; rm -rf $(VENV); "$$PYTHON_BIN" -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==25.3"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.in -c constraints.txt
	@mkdir -p collections/ansible_collections/invoice && ln -sfn ../../.. collections/ansible_collections/invoice/platform
	@touch $(STAMP)
	@echo "setup: $(VENV) is ready (Python $$($(PY) -c 'import platform; print(platform.python_version())'))"

$(CHECKOV_STAMP): requirements-checkov.txt | $(STAMP)
	@rm -rf $(CHECKOV_VENV) && PYTHON_BIN=$$(scripts/find-python.sh) && "$$PYTHON_BIN" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements-checkov.txt
	@touch $(CHECKOV_STAMP)

$(FRONTEND_DEPS): frontend/package-lock.json frontend/package.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error </dev/null

$(FRONTEND_BUILD): $(FRONTEND_DEPS) $(FRONTEND_SRC)
	cd frontend && npm run --silent build </dev/null

frontend-test: $(FRONTEND_DEPS) ## The web UI's unit tests (vitest: frontend/src/**/*.test.ts; the review form's logic), a few seconds
	@# stdin from /dev/null: node makes an inherited stdin non-blocking, and ansible-playbook (the
	@# syntax target, run beside this one) refuses to start on a non-blocking stdin
	cd frontend && npm test --silent </dev/null

frontend: $(FRONTEND_BUILD) ## Build the web UI into frontend/dist (npm ci && npm run build; node 20 or later); only when a source changed

setup: $(STAMP) $(CHECKOV_STAMP) $(FRONTEND_BUILD) ## Create .venv (Python 3.12) with the pinned dependencies and build the web UI; safe to run again

pg-start: ## Start the throwaway PostgreSQL 15 cluster on 127.0.0.1:$(PGPORT)
	@PGPORT=$(PGPORT) scripts/pg.sh start

pg-stop: ## Stop the PostgreSQL cluster
	@PGPORT=$(PGPORT) scripts/pg.sh stop

localaws-start: $(STAMP) ## Start the local AWS endpoint on 127.0.0.1:$(LOCALAWS_PORT) in the background
	@mkdir -p $(RUN)
	@if [ -f $(RUN)/localaws.pid ] && kill -0 $$(cat $(RUN)/localaws.pid) 2>/dev/null; then \
	  echo "localaws: already running (pid $$(cat $(RUN)/localaws.pid)) on http://127.0.0.1:$(LOCALAWS_PORT)"; exit 0; fi; \
	LOCALAWS_APPRUNNER_COMMAND="$(CURDIR)/$(PY) -m app serve" LOCALAWS_APPRUNNER_LOG_DIR=$(CURDIR)/$(RUN)/apprunner \
	LOCALAWS_ECS_PYTHON="$(CURDIR)/$(PY)" LOCALAWS_ECS_LOG_DIR=$(CURDIR)/$(RUN)/ecs \
	  nohup $(PY) -m tools.localaws --port $(LOCALAWS_PORT) --apprunner-delay $(LOCALAWS_DELAY) >$(RUN)/localaws.log 2>&1 & echo $$! >$(RUN)/localaws.pid; \
	for i in $$(seq 1 100); do \
	  if curl -sf -o /dev/null -X POST http://127.0.0.1:$(LOCALAWS_PORT)/moto-api/reset; then echo "localaws: http://127.0.0.1:$(LOCALAWS_PORT) (log: $(RUN)/localaws.log)"; exit 0; fi; \
	  if ! kill -0 $$(cat $(RUN)/localaws.pid) 2>/dev/null; then cat $(RUN)/localaws.log >&2; rm -f $(RUN)/localaws.pid; echo "localaws: failed to start (log above)" >&2; exit 1; fi; \
	  sleep 0.2; done; echo "localaws: no answer after 20 s (log: $(RUN)/localaws.log)" >&2; exit 1

localaws-stop: ## Stop the local AWS endpoint
	@if [ -f $(RUN)/localaws.pid ]; then pid=$$(cat $(RUN)/localaws.pid); kill $$pid 2>/dev/null || true; \
	  for i in $$(seq 1 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	  rm -f $(RUN)/localaws.pid; echo "localaws: stopped"; fi

up: localaws-start pg-start ## Start the local AWS endpoint and PostgreSQL

down: localaws-stop pg-stop ## Stop everything `make up` / `make demo` started

demo: up $(FRONTEND_BUILD) ## Converge the whole stack on the local endpoint and print the outputs
	@# The local world only: fake credentials, so nothing here can use a real account's.
	env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	  AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCALAWS_PORT) AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=10 \
	  ansible-playbook site.yml -i inventories/local $(if $(SERVICE_BACKEND),-e service_backend=$(SERVICE_BACKEND)) $(DEMO_ARGS)
	@echo; echo "outputs (outputs/local.json):"; cat outputs/local.json
	@url=$$($(PY) -c 'import json; print(json.load(open("outputs/local.json"))["service"]["service_url"])'); \
	echo; echo "API: $$url (the local $(or $(SERVICE_BACKEND),apprunner) service runs python -m app serve; log: $(RUN)/$(if $(filter ecs_express,$(SERVICE_BACKEND)),ecs,apprunner)/)"; \
	echo "GET $$url/api/health:"; curl -sS --max-time 5 "$$url/api/health" || { echo "demo: the API does not answer" >&2; exit 1; }; echo; \
	echo "Database: the RDS instance $$($(PY) -c 'import json; d=json.load(open("outputs/local.json"))["database"]; print(d["identifier"], "at", d["endpoint"] + ":" + str(d["port"]))') (a real PostgreSQL cluster of the endpoint; password in Secrets Manager)"; \
	echo "First admin: $(PY) -m tools.localaws.rds.dbenv $(ENV) --endpoint http://127.0.0.1:$(LOCALAWS_PORT) -- $(PY) -m app create-user --email you@example.com --role admin"; \
	web=$$($(PY) -c 'import json; print(json.load(open("outputs/local.json"))["cdn"]["local_url"])'); \
	echo; echo "GET $$web/ (the local CloudFront: the web UI from the frontend bucket, /api/* to the API):"; \
	curl -fsS --max-time 5 -o /dev/null -w '%{http_code} %{content_type}\n' "$$web/" || { echo "demo: the web UI does not answer" >&2; exit 1; }; \
	echo "Web UI: $$web (open it in a browser)"

comma := ,
# ENV given (make cost ENV=prod, ENV=staging,prod): those; omitted: every inventory.
COST_ENVS = $(if $(filter file,$(origin ENV)),local staging prod,$(subst $(comma), ,$(ENV)))
# SERVICE_BACKEND=ecs_express prices the service tier on that backend (unset: each inventory's);
# COMPARE_BACKENDS=1 also prints each inventory on both backends side by side.
COMPARE_BACKENDS ?=
cost: $(STAMP) ## Monthly cost estimate, no AWS call (ENV=prod or ENV=staging,prod; omitted: every inventory side by side; SERVICE_BACKEND=ecs_express, COMPARE_BACKENDS=1); writes outputs/<env>-cost.json
	@for env in $(COST_ENVS); do \
	  env -u AWS_ENDPOINT_URL ansible-playbook playbooks/cost.yml -i inventories/$$env \
	    $(if $(SERVICE_BACKEND),-e service_backend=$(SERVICE_BACKEND)) $(if $(COMPARE_BACKENDS),-e cost_compare_backends=true) || exit 1; done
	@$(PY) -m tools.cost_table $(foreach env,$(COST_ENVS),outputs/$(env)-cost.json)

lint: lint-python lint-ansible lint-other ## ruff, mypy, bandit; yamllint, ansible-lint; hadolint, checkov (the three groups at once under make -j)

lint-python: $(STAMP)
	ruff check .
	ruff format --check .
	mypy app plugins/module_utils
	@# medium and high findings fail; each accepted one carries a targeted "# nosec B<id>" with its reason
	bandit --quiet --recursive --severity-level medium app plugins roles tools bench

lint-ansible: $(STAMP)
	yamllint -s .
	ansible-lint

lint-other: $(STAMP) $(CHECKOV_STAMP)
	hadolint Dockerfile
	@# offline: no Bridgecrew API key, no policy download
	$(CHECKOV_VENV)/bin/checkov --directory . --framework ansible dockerfile secrets --skip-download --quiet --compact \
	  --skip-path .venv --skip-path collections --skip-path .run --skip-path node_modules --skip-path outputs

syntax: $(STAMP) ## ansible-playbook --syntax-check of every playbook
	@for p in site.yml playbooks/*.yml; do \
	  ansible-playbook --syntax-check -i inventories/local "$$p" </dev/null >/dev/null || { echo "syntax-check failed: $$p" >&2; exit 1; }; \
	  echo "syntax ok: $$p"; done

pytest: $(STAMP) $(FRONTEND_BUILD) ## pytest in PYTEST_WORKERS xdist workers (default 2; each starts its own local endpoint and PostgreSQL on free ports; longest files first: tests/conftest.py SLOW_FILES), and beside them one lane for the tests marked sleep_bound
	@# A sleep_bound test spends most of its time asleep (the SDKs' retry backoff under throttling):
	@# in a worker it left a core idle for minutes, so it runs in a session of its own beside the
	@# workers; its output is printed when it ends. Exit status 5 (nothing selected) is fine for one
	@# of the two sessions, not for both.
	@lane=$$(mktemp -t pytest-sleep-bound.XXXXXX); \
	$(PY) -m pytest -p no:cacheprovider -m sleep_bound $(PYTEST_ARGS) >"$$lane" 2>&1 & lane_pid=$$!; \
	trap 'kill $$lane_pid 2>/dev/null; rm -f "$$lane"' EXIT; \
	echo "pytest: the sleep_bound tests run beside the workers (pid $$lane_pid)"; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not sleep_bound" $(PYTEST_ARGS); main=$$?; \
	wait $$lane_pid; side=$$?; \
	echo "pytest: the sleep_bound lane (exit $$side):"; cat "$$lane"; \
	if [ $$main -eq 5 ] && [ $$side -eq 5 ]; then exit 5; fi; \
	[ $$main -eq 5 ] && main=0; [ $$side -eq 5 ] && side=0; \
	[ $$main -eq 0 ] && [ $$side -eq 0 ]

sanity: $(STAMP) ## ansible-test sanity (validate-modules) on every module
	tools/sanity.sh

molecule: $(STAMP) ## Only the molecule role scenarios (`make pytest` runs them too): each a test in PYTEST_WORKERS workers, against its own local endpoint
	$(PY) -m pytest -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -m molecule $(PYTEST_ARGS)

test: setup ## Every quality gate: lint, syntax-check, validate-modules and the web UI's unit tests (at once), then pytest (the molecule scenarios among its tests)
	@# ansible-lint spends most of its time in serial steps (one core): the other static checks
	@# fill the second core meanwhile; each one's output is printed whole when it ends.
	$(MAKE) --no-print-directory -j4 --output-sync=target lint syntax sanity frontend-test
	$(MAKE) --no-print-directory pytest

bench: $(STAMP) ## Benchmarks (see bench/README.md)
	$(PY) -m bench

lock: ## Re-pin constraints.txt from a fresh resolve of requirements.in
	rm -rf $(RUN)/lockvenv && "$$(scripts/find-python.sh)" -m venv $(RUN)/lockvenv && \
	$(RUN)/lockvenv/bin/pip install --quiet -r requirements.in && \
	{ echo "# Full pinned set (pip freeze of a \`make setup\` venv on Python 3.12). Regenerate with \`make lock\`."; $(RUN)/lockvenv/bin/pip freeze; } > constraints.txt

clean: down ## Remove the virtualenv, run state and outputs
	rm -rf $(VENV) $(RUN) outputs collections frontend/node_modules frontend/dist
