# Quick start (see README.md):
#   make book   install into .venv, execute the chapters, build the site into _build/html
#   make test   install into .venv, then lint, execute the chapters, unit tests and checks of
#               the executed chapters, the strict build, the site in a headless browser,
#               the learner editions under nbval and the grader
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
JB_FLAGS := -W -n --keep-going

.PHONY: install execute book test lint pytest site browser course-install course-test rebuild clean learner nbval lab

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(STAMP)

# Each chapter runs once, in parallel (one per core), into the execution cache that the
# build reads; an edit to nodebook or the requirements re-runs them all.
execute: install
	$(BIN)/python tools/execute_chapters.py

book: execute
	$(BIN)/jupyter-book build $(JB_FLAGS) .

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

# Unit tests, and checks of the executed chapters (errors, pinned outputs, time budget);
# prints the chapter timing report at the end.
pytest: execute
	$(BIN)/pytest

# The learner edition of every chapter (learner/NN_name.ipynb), generated from the chapter;
# commit the result (tests/test_learner.py fails when a committed edition is out of date).
learner: install
	$(BIN)/python tools/learner.py

# Every learner edition run by nbval as a learner would, with the reference solutions filled
# in and the pinned outputs of tests/pinned_outputs.json put into the cells tagged
# nbval-check-output (copies under _build/learner_nbval; the committed editions stay clean).
# Two notebooks at a time; chapter 5 reuses the models chapter 4 trained for the build.
NBVAL_DIR := _build/learner_nbval
nbval: execute
	$(BIN)/python tools/learner.py --check
	$(BIN)/python tools/learner.py --nbval-copies $(NBVAL_DIR)
	NODEBOOK_CACHE=$(CURDIR)/_build/.nodebook_cache $(BIN)/pytest $(NBVAL_DIR) \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=900 \
		--nbval-sanitize-with tests/output_sanitize.cfg \
		-n 2 --dist loadfile -p no:cacheprovider -o addopts=""

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

# Instructor tooling (nbgrader) lives in an environment of its own, .venv-course, so that
# learners' JupyterLab (.venv) shows no nbgrader menus. It sees the book's environment
# through a .pth file (site.addsitedir, so the editable nodebook is found too) and installs
# only what nbgrader adds; its own packages come first on the path.
COURSE_VENV := .venv-course
COURSE_BIN := $(COURSE_VENV)/bin
COURSE_STAMP := $(COURSE_VENV)/.course-stamp
$(COURSE_STAMP): requirements-instructor.txt $(STAMP)
	test -x $(COURSE_BIN)/python || $(PYTHON) -m venv $(COURSE_VENV)
	book=$$($(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])"); \
	own=$$($(COURSE_BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])"); \
	echo "import site; site.addsitedir('$$book')" > "$$own/book-environment.pth"
	$(COURSE_BIN)/python -m pip install --disable-pip-version-check -q -r requirements-instructor.txt
	touch $@

course-install: $(COURSE_STAMP)

# JupyterLab on the learner editions (after `make book`, or `make install` alone).
lab: install
	$(BIN)/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) learner/

# Release chapter 1's exercises, grade generated submissions of every kind of trouble.
course-test: course-install
	$(COURSE_BIN)/python -m pytest -m course tests/course

test: lint pytest book site nbval course-test

# Everything from scratch: the execution cache and the built pages.
rebuild: clean book

clean: install
	$(BIN)/jupyter-book clean --all .
