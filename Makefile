# Quick start (see README.md):
#   make book   install into .venv, then build the site into _build/html
#   make test   install into .venv, then lint, unit tests, notebooks (nbval) and the strict build
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JB_FLAGS := -W -n --keep-going

.PHONY: install book test lint pytest rebuild clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(STAMP)

book: install
	$(BIN)/jupyter-book build $(JB_FLAGS) .

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

# Unit tests and every chapter under nbval; prints the chapter timing report at the end.
pytest: install
	$(BIN)/pytest

test: lint pytest book

# The execution cache hashes only the notebooks' code cells: after editing `nodebook`,
# rebuild from scratch so every chapter runs again against the new package.
rebuild: clean book

clean: install
	$(BIN)/jupyter-book clean --all .
