# Shelfshare. `make run` serves the app with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DEBUG=on

.PHONY: run test install migrate seed worker beat bench loadtest lint format clean ci

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 13), "Shelfshare needs Python 3.13, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --editable ".[dev]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

# The web server, a Celery worker and beat together (Procfile), on the filesystem broker
# under var/ without REDIS_URL, on Redis with it. Ctrl-C stops all three.
run: seed
	mkdir -p var
	$(DEV_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

# One test process per core (pytest-xdist); PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= auto

test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# One worker on every queue; QUEUES=emails (say) runs a worker for that queue alone.
QUEUES ?= emails,imports,rollups,default

worker: install
	$(BIN)/celery -A config worker --loglevel=info --concurrency=2 --queues=$(QUEUES)

beat: install
	mkdir -p var
	$(BIN)/celery -A config beat --loglevel=info --schedule=var/celerybeat-schedule

bench: install
	$(BIN)/python -m bench

# Locust against gunicorn, a worker and beat on PostgreSQL and Redis (README: "Load test");
# never part of `make test`. LOADTEST_USERS and LOADTEST_MINUTES shorten it.
$(VENV)/.installed-load: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --editable ".[dev,load]"
	touch $@

loadtest: $(VENV)/.installed-load
	$(BIN)/python -m bench.loadtest.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
