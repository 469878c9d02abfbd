# The README's two commands: `make up` (install, then run the suite on SQLite) and `make test`.
VENV := .venv
PYTHON ?= python3
BUF_VERSION := 1.75.0

.PHONY: install up test test-slow bench-quick lint proto proto-check buf
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

up: install
	$(VENV)/bin/livetrust up

test: install
	$(VENV)/bin/pytest

# The reliability runs (load, faults, SIGTERM on real processes; a few minutes): docs/reliability.md.
test-slow: install
	$(VENV)/bin/pytest -m slow

# Every benchmark at scaled-down sizes: prints the figures and their ratios, asserts nothing (bench/).
bench-quick: install
	$(VENV)/bin/livetrust bench --quick --json .bench-quick.json

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

proto: install
	$(VENV)/bin/python scripts/genproto.py

proto-check: install
	$(VENV)/bin/python scripts/genproto.py --check

.tools/node_modules/.bin/buf:
	npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION)

buf: .tools/node_modules/.bin/buf
	.tools/node_modules/.bin/buf lint
	scripts/buf-breaking.sh
