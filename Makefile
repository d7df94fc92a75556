# Every target bootstraps .venv first, so a fresh clone needs only `make serve` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Data: LEARNTORCH_DATA if set, else ../shared/data when it exists, else the user cache.
LEARNTORCH_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
export LEARNTORCH_DATA
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve test site notebooks space clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## serve: build the site and serve it with the demos on 127.0.0.1 (Ctrl-C stops both)
serve: $(STAMP)
	$(PY) -m learntorch.serve

## test: lessons (smoke profile), site, data, checkpoints and demos
test: $(STAMP)
	$(PY) -m pytest -n 2 --durations=15  # tests/conftest.py keeps each demo server's tests on one worker

## site: build the static site into site/ (executes nothing: the notebooks are stored)
site: $(STAMP)
	$(PY) -m mkdocs build --strict

## notebooks: re-execute lessons in the full profile into docs/lessons (LESSONS="01 07" for some)
notebooks: $(STAMP)
	LEARNTORCH_PROFILE=full $(PY) -m learntorch.notebooks $(LESSONS)

## space: assemble the hosted demos' Hugging Face Space into build/space (git-ignored)
space: $(STAMP)
	$(PY) -m demos.space assemble build/space

clean:
	rm -rf site .pytest_cache
