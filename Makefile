# The two commands a newcomer needs: `make run` and `make test`.
# Both do all of their set-up on a fresh machine and are cheap to repeat.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DATA_DIR ?= ./var
export DATA_DIR

.PHONY: run test lint format bench soak clean setup test-deps messages compile-messages

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.base: $(BIN)/activate requirements/base.txt
	$(BIN)/pip install -q -r requirements/base.txt
	touch $@

$(VENV)/.dev: $(VENV)/.base requirements/dev.txt
	$(BIN)/pip install -q -r requirements/dev.txt
	touch $@

# The message catalogues (locale/*/LC_MESSAGES/*.po) compiled for Django; the
# .mo files are built, never committed.
compile-messages: $(VENV)/.base
	sh scripts/install-gettext.sh
	$(BIN)/python manage.py compilemessages -v 0 --ignore=.venv --ignore=.cache

# After changing a text of the pages, the script or the API: bring every
# catalogue up to date, then translate the new entries (README: Languages).
messages: $(VENV)/.base
	PYTHON=$(BIN)/python sh scripts/update-messages.sh

# Prepare the configured stores, the operators' database, the catalogues and static files.
setup: compile-messages
	$(BIN)/python manage.py setup_storage
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py collectstatic --noinput -v 0

# gunicorn.conf.py reads WORKERS (default: one per core), THREADS (32 a worker) and GUNICORN_TIMEOUT.
run: setup
	$(BIN)/gunicorn --config secrets_site/gunicorn.conf.py --bind 127.0.0.1:$(PORT) secrets_site.wsgi

# Servers and browser the suite drives (each script is idempotent and caches).
test-deps: $(VENV)/.dev
	sh scripts/install-test-deps.sh

test: test-deps compile-messages
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(VENV)/.bench: $(VENV)/.dev requirements/bench.txt
	$(BIN)/pip install -q -r requirements/bench.txt
	touch $@

# Not part of `make test`: a measurement, minutes long (BENCH_ARGS=--quick for a smoke run).
bench: $(VENV)/.bench
	sh bench/install-deps.sh
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python -m bench $(BENCH_ARGS)

# Not part of `make test`: SOAK_MINUTES (10) of mixed load on each backend, then
# the verdict (docs/reliability.md). `SOAK_MINUTES=2 make soak SOAK_BACKENDS=local` to try it.
soak: test-deps
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python -m soak $(SOAK_BACKENDS)

clean:
	rm -rf $(VENV) .cache staticfiles artifacts
