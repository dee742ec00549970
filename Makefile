# Followup: the verbs people expect. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test venv migrate demo check lint clean makemessages compilemessages

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

## Everything up: database, demo data, Redis, Celery worker and beat, web server. Ctrl-C stops all.
run: venv
	$(BIN)/python scripts/run.py

# Tests whose figures or rules depend on the database engine run on SQLite too (the default engine).
SQLITE_TOO := tests/test_reports_*.py tests/test_services.py tests/test_reminder_planning.py tests/test_delivery.py

## The whole suite on throwaway PostgreSQL and Redis servers the run starts and stops, then the
## engine-dependent files again on SQLite.
## The last lines repeat how many browser tests ran (and warn when Chromium was missing).
test: venv
	@rm -f test-artifacts/browser-tests.txt
	$(BIN)/python scripts/services.py -- $(BIN)/pytest $(PYTEST_ARGS)
	FOLLOWUP_TEST_DB=sqlite $(BIN)/python scripts/services.py -- $(BIN)/pytest $(SQLITE_TOO)
	@cat test-artifacts/browser-tests.txt 2>/dev/null || echo "Browser tests: none collected."

migrate: venv
	$(BIN)/python manage.py migrate

demo: migrate
	$(BIN)/python manage.py seed_demo

check: venv
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

## Gettext catalogues (README, Languages): gather every translatable string of the code and templates
## into locale/<code>/LC_MESSAGES/django.po for each language but English (xgettext, from the gettext
## package); translate the new entries, then compile the .mo files Django reads (committed with the .po).
makemessages: venv
	$(BIN)/python manage.py makemessages

compilemessages: venv
	$(BIN)/python manage.py compilemessages --ignore .venv --ignore var --ignore node_modules

lint: venv
	$(BIN)/ruff check --select F,E9 followup config tests scripts bench

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles test-artifacts
