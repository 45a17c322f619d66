# Two commands for a fresh clone with only Python 3.11+ present:
#   make run    installs everything into .venv and starts the app (demo mode)
#   make test   installs everything into .venv and runs the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test lint install clean system system-packages

# Qt's system libraries first (installed with apt-get as root on Debian/Ubuntu, otherwise the
# exact install line is printed and make stops); scripts/system-libraries.txt lists them.
system:
	$(PYTHON) scripts/check_system.py

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: system $(STAMP)
	$(BIN)/python -m bucket_desktop --demo

test: system $(STAMP)
	sh scripts/system-packages.sh install
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

# nginx, Caddy, sqlite3 for the deploy-guide tests (apt-get as root; otherwise those tests skip).
system-packages:
	sh scripts/system-packages.sh install

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build dist *.egg-info
