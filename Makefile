# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := market

.PHONY: run test test-postgres install lint format db-check translations serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask market load-catalogue
	$(BIN)/flask market demo-data
	$(BIN)/flask search rebuild
	@# The background worker beside the server (deadlines, reminders, mail, search), stopped with it.
	$(BIN)/flask market worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# System packages first (installed if missing and allowed; otherwise their tests are skipped).
test: install
	scripts/system-packages.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same suite on a throwaway PostgreSQL 15 server (apt-get install -y postgresql).
test-postgres: install
	scripts/system-packages.sh
	scripts/with-postgres.sh $(MAKE) test

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The check compares the models with the database the migrations build: upgrade it first.
db-check: install
	$(BIN)/flask db upgrade
	$(BIN)/flask db check

# Text to translate: extracted from the code and templates, merged into the English
# catalogue (new entries empty, for a translator), compiled. The .po and .mo are kept in git,
# the .pot is not.
I18N := market/translations
translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k _n:1,2 -k pgettext:1c,2 --no-location --sort-output \
	    --project market -o $(I18N)/messages.pot .
	$(BIN)/pybabel -q update -i $(I18N)/messages.pot -d $(I18N) -l en --no-fuzzy-matching \
	    --ignore-obsolete
	$(BIN)/pybabel -q compile -d $(I18N) -l en

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
