# Thin aliases for the commands in the README. `make run` and `make test` are the two that matter.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test lint typecheck messages bench clean system-packages

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The development settings file, written once (never overwritten): DEBUG=true, a new
# SECRET_KEY. The settings read it, so every manage.py command works in any shell afterwards.
.env:
	$(PYTHON) scripts/write_dev_env.py

## Run the dashboard with the sample registry: web, Celery worker and beat (Ctrl-C stops all).
run: $(VENV)/.installed .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_sample_data
	$(BIN)/python manage.py load_reference_series
	@echo ""
	@echo "  Dashboard: http://127.0.0.1:$(PORT)/   (Ctrl-C stops web, worker and beat)"
	@echo ""
	# --env /dev/null: the settings read .env themselves, where the real environment wins
	# (honcho's own .env loading would override it, PORT included).
	$(BIN)/honcho start --env /dev/null --port $(PORT) -f Procfile.dev

## System programs and fonts the tests use (chromium, a Japanese font, redis-server, dovecot):
## apt-get as root, else a message.
system-packages:
	scripts/ensure-system-packages

## Lint, types, migrations check and the whole test suite (DATABASE_URL / CELERY_BROKER_URL if set).
test: system-packages $(VENV)/.installed-dev
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
