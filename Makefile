# Two commands: `make run` (the product on its embedded defaults) and `make test` (the whole suite).
# Everything else here is a helper for those two.

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Django 6 needs Python >= 3.12: take the first interpreter that is one.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv lint bench worker beat clean messages

# A virtualenv copied without its interpreter (or half-deleted) is set up again.
ifeq ($(wildcard $(PY)),)
$(shell rm -f $(VENV)/.installed)
endif

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (set PYTHON=/path/to/python3.12)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

## The product on http://$(HOST):$(PORT) with SQLite, jobs inline and the demo data.
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver $(HOST):$(PORT)

## The whole test suite (DATABASE_URL / CELERY_BROKER_URL switch to PostgreSQL / Redis).
test: venv
	$(VENV)/bin/pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

## Re-extract the translation catalogues (source strings are Russian) and compile them without GNU
## gettext's msgfmt; translate every new msgid in locale/en/LC_MESSAGES/django.po, then commit both.
messages: venv
	$(PY) manage.py makemessages -l en --no-location --ignore=.venv --ignore=tests --ignore=static \
		--ignore=media --ignore=staticfiles --ignore=test-artifacts
	$(PY) -m sferum_migration.catalogue

bench: venv
	$(PY) manage.py benchmark

worker: venv
	$(VENV)/bin/celery -A sferum_migration worker -l info

beat: venv
	$(VENV)/bin/celery -A sferum_migration beat -l info

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles test-artifacts
