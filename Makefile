# The two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := market

.PHONY: run test test-postgres install lint format db-check serve clean

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
