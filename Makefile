# `make run` and `make test` do all the set-up on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-resizer test-django lint typecheck bench bench-quick clean

# The venv carries its own uv, so nothing outside it is needed but a Python >= 3.12.
$(VENV)/bin/python:
	"$$(.ci/find-python)" -m venv $(VENV)

$(VENV)/bin/uv: $(VENV)/bin/python
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null
	$(PY) -m pip install --quiet --disable-pip-version-check uv

$(STAMP): $(VENV)/bin/uv requirements.txt requirements-dev.txt resizer_lambda/requirements.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-dev.txt
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m imageadmin.localstack

test: $(STAMP) lint typecheck test-resizer test-django

# The resizer's tests run without Django loaded at all.
test-resizer: $(STAMP)
	$(PY) -m pytest -p no:django -W ignore::pytest.PytestConfigWarning tests/resizer

test-django: $(STAMP)
	$(PY) -m pytest tests/imageadmin

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) bench/run.py

bench-quick: $(STAMP)
	$(PY) bench/run.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
