# Two commands for a new machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format serve bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet ".[dev]"
	touch $(VENV)/.runtime $@

.env:
	cp .env.example .env

run: $(VENV)/.runtime .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Browser tests use the Chromium named by CHROMIUM_PATH or found on the PATH;
# only when there is none does Playwright fetch its own.
test: $(VENV)/.dev .env lint
	@if [ -z "$${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then \
		$(BIN)/python -m playwright install chromium; \
	fi
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(VENV)/.dev .env
	$(BIN)/python bench/pages.py

# 60 s of mixed traffic on PostgreSQL and a Redis of its own, through a Redis and a mail outage.
soak: $(VENV)/.dev .env
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) staticfiles
