# Entry points for a newcomer, for CI and for benchmarks.
# Odoo 18.0 must be importable by $(PYTHON); everything else `make setup` installs.
PYTHON ?= python3
export PYTHON

.PHONY: help setup test run bench lint

help:
	@echo "make setup  install PostgreSQL, wkhtmltopdf, Chromium and Python packages; start PostgreSQL"
	@echo "make test   all addon tests and tests/ on a fresh throw-away database"
	@echo "make run    database isp_demo with demo data, server on http://localhost:8069"
	@echo "make bench  benchmarks under tests/benchmarks"
	@echo "make lint   ruff and pylint-odoo on the tree"

setup:
	@bash scripts/setup.sh

test:
	@$(PYTHON) scripts/tasks.py test

run:
	@$(PYTHON) scripts/tasks.py run

bench:
	@$(PYTHON) scripts/tasks.py bench

lint:
	@$(PYTHON) scripts/tasks.py lint
