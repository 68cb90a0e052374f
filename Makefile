# Thin aliases for the commands in the README. `make run` and `make test` are the two that matter.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test lint typecheck messages bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## Run the dashboard with the sample registry: web, Celery worker and beat (Ctrl-C stops all).
run: $(VENV)/.installed
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py load_sample_data
	@echo ""
	@echo "  Dashboard: http://127.0.0.1:$(PORT)/   (Ctrl-C stops web, worker and beat)"
	@echo ""
	DEBUG=true DASHBOARD_PUBLIC=$${DASHBOARD_PUBLIC:-true} PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

## Lint, types, migrations check and the whole test suite (DATABASE_URL / CELERY_BROKER_URL if set).
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy scanner adoption
	DJANGO_SETTINGS_MODULE=adoption.settings_test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy scanner adoption

## Extract and compile translations (needs GNU gettext).
messages: $(VENV)/.installed-dev
	DEBUG=true $(BIN)/python manage.py makemessages -l ja -l en --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore '.venv/*'

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/scan_throughput.py

clean:
	rm -rf var/broker var/staticfiles
