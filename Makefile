# `make run` and `make test` do all the set-up on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test chromium test-resizer test-django test-e2e test-package lint typecheck edge-function bench bench-quick clean

# The venv carries its own uv, so nothing outside it is needed but a Python >= 3.12.
$(VENV)/bin/python:
	"$$(.ci/find-python)" -m venv $(VENV)

$(VENV)/bin/uv: $(VENV)/bin/python
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null
	$(PY) -m pip install --quiet --disable-pip-version-check uv

# checkov gets a virtualenv of its own inside .venv (requirements-checkov.txt says why).
$(STAMP): $(VENV)/bin/uv pyproject.toml requirements.txt requirements-dev.txt \
		resizer_lambda/requirements.txt requirements-checkov.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.txt
	$(VENV)/bin/uv venv --quiet --allow-existing --python $(PY) $(VENV)/checkov
	$(VENV)/bin/uv pip install --quiet --python $(VENV)/checkov/bin/python -r requirements-checkov.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m localaws

test: $(STAMP) chromium lint typecheck test-resizer test-django test-e2e test-package

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		elif command -v sudo >/dev/null 2>&1; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing and no root: browser tests will be skipped"; fi; }

# The resizer's tests run without Django loaded at all.
test-resizer: $(STAMP)
	$(PY) -m pytest -p no:django -W ignore::pytest.PytestConfigWarning tests/resizer

# The Django suite runs on SQLite, then again on PostgreSQL (127.0.0.1:5432, database test).
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
test-django: $(STAMP)
	$(PY) -m pytest tests/imageadmin tests/demosite tests/localaws
	DATABASE_URL=$(PG_URL) $(PY) -m pytest tests/imageadmin tests/demosite tests/localaws -m "not browser"

# The whole system end to end: moto's server, the local edge with the real Lambda, Django's live
# server and Chromium; then `make run` itself in a subprocess, started, used and stopped.
test-e2e: $(STAMP) chromium
	$(PY) -m pytest tests/e2e

# The wheel as a shop gets it: built, installed into a fresh virtualenv beside a fresh
# `startproject` site set up as docs/integrate.md says; plus the docs' consistency with the code.
test-package: $(STAMP)
	$(PY) -m pytest tests/packaging

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

# The CloudFront Function's source is resizer_lambda/edge/negotiate.js; the template carries a
# copy inline (a test fails when they differ).
edge-function: $(STAMP)
	$(PY) .ci/embed_edge_function.py

# The benchmark fetches its photo corpus from Debian packages and sharp from npm by itself.
bench: $(STAMP)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r bench/requirements.txt
	$(PY) bench/run.py

bench-quick: $(STAMP)
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r bench/requirements.txt
	$(PY) bench/run.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
