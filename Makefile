# The two commands a newcomer needs: `make run` and `make test`. Both create the virtualenv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: venv run test lint format bench bench-smoke migrate fixtures clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

## fixtures: the builtin errors, and the demo workspace (under var/), files and job types
fixtures: migrate
	$(PY) manage.py load_demo

## run: migrate, load the fixtures and start the whole system (Ctrl-C stops it all)
run: fixtures
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py run_all

## test: the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set), then the smoke run of
## every benchmark (a crash or a failed check fails the build; a missed speed target does not)
test: venv
	$(PY) -m pytest
	$(PY) bench/run.py --smoke

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: every benchmark of bench/ at 1,000,000 jobs, one table, bench/results/latest.json
## (set DATABASE_URL to a PostgreSQL server: the <name>_bench database is seeded once and reused)
bench: venv
	$(PY) bench/run.py

## bench-smoke: every benchmark at a small size, in seconds (PostgreSQL scratch databases when
## DATABASE_URL is PostgreSQL, else SQLite under var/)
bench-smoke: venv
	$(PY) bench/run.py --smoke

clean:
	rm -rf $(VENV) var build *.egg-info
