# Two commands for a fresh clone with only Python 3.11+ present:
#   make run    installs everything into .venv and starts the app (demo mode)
#   make test   installs everything into .venv and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test lint install clean system system-tests

# System packages first, from the one list scripts/system-packages.txt: installed with apt-get as
# root on Debian/Ubuntu, otherwise the exact install line is printed. A missing Qt library stops
# make; a missing test program (nginx, Caddy, ...) only makes the tests that need it skip.
system:
	$(PYTHON) scripts/check_system.py

system-tests:
	$(PYTHON) scripts/check_system.py --tests

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: system $(STAMP)
	$(BIN)/python -m bucket_desktop --demo

test: system-tests $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build dist *.egg-info
