# Parlour: `make run` to try it, `make test` to check it. Needs only Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test test-scaled test-all test-fast lint format install install-dev migrate bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Runtime dependencies only: enough for `make run` on a fresh machine.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	touch $@

# Test and production extras (pytest, playwright, psycopg, channels-redis, ruff...).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

## Development server (daphne-backed runserver: HTTP and WebSockets) on 127.0.0.1:8000.
run: migrate
	$(PY) manage.py runserver $(HOST):$(PORT)

## Local trial of the production settings (docs/deploy.md): debug off, collectstatic +
## ServeStatic + daphne, on plain HTTP at http://127.0.0.1:8000 (DJANGO_HTTPS=0: no
## HTTPS redirect, no Secure cookies). A throwaway secret unless DJANGO_SECRET_KEY is set.
## Behind a TLS proxy, run daphne as docs/deploy.md says instead.
serve: install
	@export DJANGO_DEBUG=0 DJANGO_HTTPS=0 \
		DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}" \
		DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}" \
	&& $(PY) manage.py migrate --noinput \
	&& $(PY) manage.py collectstatic --noinput -v0 \
	&& echo "Production settings on plain HTTP: http://$(HOST):$(PORT)/ (Ctrl-C stops)" \
	&& exec $(BIN)/daphne -b $(HOST) -p $(PORT) site_config.asgi:application

## The whole suite: unit, consumer, live daphne, browser and service tests.
test: install-dev
	$(BIN)/pytest

## The in-process suite again on the production topology's PostgreSQL and Redis
## (CI's second leg; live-server tests ran in the first). Override the URLs at will.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
test-scaled: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest -m "not browser and not services and not slow"

## Also the slow ones (deep perft, soak runs).
test-all: install-dev
	$(BIN)/pytest -m ""

## The quick inner loop: no browser, no services, no slow tests.
test-fast: install-dev
	$(BIN)/pytest -m "not browser and not services and not slow"

## Style, import contracts (layers, independent apps, pure cores) and types.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/mypy --strict chess/rules roulette/rules

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	bash bench/run_all.sh

clean:
	rm -rf $(VENV) staticfiles db.sqlite3* test_db.sqlite3* .pytest_cache
