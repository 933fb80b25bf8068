# The two commands: `make run` sets up and serves the catalogue, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEV := DEBUG=1

.PHONY: run setup test lint clean demo serve-prod

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py load_vocabularies
	$(DEV) $(BIN)/python manage.py import_sherloc fixtures/samples/GBR0007s.txt
	$(DEV) $(BIN)/python manage.py create_local_admin

run: setup
	@echo "Serving the catalogue at http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/)"
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# The local catalogue with 1,000 synthetic strategies (flagged, replaced on each run) to show the
# facets at work; `python manage.py generate_strategies --remove` takes them away again.
demo: setup
	$(DEV) $(BIN)/python manage.py generate_strategies 1000 --seed 1 --remove
	@echo "Serving the catalogue with 1,000 synthetic strategies at http://127.0.0.1:8000/"
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

# Production: gunicorn with the environment's settings (SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS…
# see the README's operations section). Binds BIND (default 127.0.0.1:8000) behind a proxy.
BIND ?= 127.0.0.1:8000
WORKERS ?= 3
serve-prod: $(VENV)/.installed
	@test -n "$$SECRET_KEY" || (echo "Set SECRET_KEY (and DATABASE_URL, ALLOWED_HOSTS) first." && exit 1)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_vocabularies
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/gunicorn sherlock.wsgi --bind $(BIND) --workers $(WORKERS) --access-logfile -

test: $(VENV)/.installed
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 .local-admin-password
