# The two commands: `make demo` and `make test`. Both create .venv and install on first use,
# and only reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test lint check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/doorstep demo --port $(PORT)

# The suite runs on SQLite and, at the same time, the database tests run again on a throwaway
# PostgreSQL cluster that the tests start themselves (tests/pg_cluster.py); see .ci/pytest-both.
test: $(STAMP)
	$(BIN)/ruff check core plugins cli tests
	$(BIN)/mypy
	PYTEST=$(BIN)/pytest .ci/pytest-both

clean:
	rm -rf $(VENV) var/*.sqlite3* var/cache
