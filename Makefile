# Every target bootstraps .venv first, so a fresh clone needs only `make serve` or `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Data: LEARNTORCH_DATA if set, else ../shared/data when it exists, else the user cache
# (learntorch.data looks in that order).
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve test site models notebooks space clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[all]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# What the site serves besides its pages: npm packages (pinned in package-lock.json) and
# the ONNX exports of the checkpoints; the build copies the files it uses into the site.
NODE_MODULES := node_modules/.package-lock.json
EXPORTS := build/models/.exported

$(NODE_MODULES): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(EXPORTS): learntorch/export.py $(wildcard checkpoints/*/*) | $(STAMP)
	$(PY) -m learntorch.export
	touch $@

## models: the in-page models (ONNX exports) and the npm packages the site serves
models: $(NODE_MODULES) $(EXPORTS)

## serve: build the site and serve it with the demos on 127.0.0.1 (Ctrl-C stops both)
serve: $(STAMP) models
	$(PY) -m tools.serve

## test: lessons (smoke profile), site, data, checkpoints and demos
test: $(STAMP) models
	$(PY) -m pytest -n 2 --durations=15  # tests/conftest.py keeps each demo server's tests on one worker

## site: build the static site into site/ (executes nothing: the notebooks are stored)
site: $(STAMP) models
	$(PY) -m mkdocs build --strict

## notebooks: re-execute lessons in the full profile into docs/lessons (LESSONS="01 07" for some)
notebooks: $(STAMP)
	LEARNTORCH_PROFILE=full $(PY) -m tools.notebooks $(LESSONS)

## space: assemble the hosted demos' Hugging Face Space into build/space (git-ignored)
space: $(STAMP)
	$(PY) -m tools.space assemble build/space

clean:
	rm -rf site build .pytest_cache
