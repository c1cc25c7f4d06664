# ganlab: the two commands are `make lab` and `make test`; the rest are their parts.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ganlab-installed
LAB_ARGS ?=
NOTEBOOK_DIRS := notebooks solutions exercises

.PHONY: setup lab test unit nbval lint format notebooks exercises gpu-check clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[course]'
	@touch $@

lab: setup
	$(VENV)/bin/jupyter lab $(LAB_ARGS) notebooks/00_gan_basics.ipynb

test: setup lint unit nbval

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: setup
	GANLAB_PROFILE=quick $(PY) -m pytest tests

nbval: setup
	GANLAB_PROFILE=quick MPLBACKEND=Agg $(PY) -m pytest -p no:cacheprovider \
		--nbval-lax --nbval-current-env $(NOTEBOOK_DIRS)

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

notebooks: setup
	GANLAB_PROFILE=full $(VENV)/bin/ganlab execute notebooks/*.ipynb

exercises: setup
	$(VENV)/bin/ganlab exercises

gpu-check:
	GANLAB_DEVICE=cuda $(PYTHON) -m pytest -q tests -k "device or cuda"
	$(PYTHON) -m ganlab.bench.device

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
