# Quick start (see README.md):
#   make book   install into .venv, then build the site into _build/html
#   make test   install into .venv, then lint, unit tests, notebooks (nbval), the strict build
#               and the built site in a headless browser
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JB_FLAGS := -W -n --keep-going

.PHONY: install book test lint pytest site browser course-install course-test rebuild clean

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

# The built site in headless chromium (reuses the last build; `make test` builds first).
# Pages are served from _build/html on a loopback port; math is typeset with Debian's
# libjs-mathjax; screenshots land in _build/screenshots/.
site: install browser
	$(BIN)/pytest -m site tests/site

# Debian's chromium and libjs-mathjax for the site tests, installed when missing (needs
# root and apt). Playwright drives the system chromium, so no browser is downloaded.
browser:
	@if command -v chromium >/dev/null && test -f /usr/share/javascript/mathjax/MathJax.js; then \
		echo "chromium and libjs-mathjax are installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libjs-mathjax >/dev/null \
		|| { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libjs-mathjax >/dev/null; }; \
	else \
		echo "note: install chromium and libjs-mathjax (Debian) for the site tests"; \
	fi

# Instructor tooling (nbgrader) is an optional install; the course tests need it.
COURSE_STAMP := $(VENV)/.course-stamp
$(COURSE_STAMP): requirements-instructor.txt $(STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-instructor.txt
	touch $@

course-install: $(COURSE_STAMP)

# Release chapter 1's exercises, grade generated submissions of every kind of trouble.
course-test: course-install
	$(BIN)/pytest -m course tests/course

test: lint pytest book site course-test

# The execution cache hashes only the notebooks' code cells: after editing `nodebook`,
# rebuild from scratch so every chapter runs again against the new package.
rebuild: clean book

clean: install
	$(BIN)/jupyter-book clean --all .
