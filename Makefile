# ganlab: the two commands are `make lab` and `make test`; the rest are their parts.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ganlab-installed
LAB_ARGS ?=
NOTEBOOK_DIRS := notebooks solutions exercises

.PHONY: setup lab test unit nbval lint format notebooks exercises gpu-check clean

setup: $(STAMP)

# pip shows what it downloads (with progress bars) and installs; the lines around say why.
$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "ganlab setup: creating the virtual environment $(VENV) ..."; \
		$(PYTHON) -m venv $(VENV); }
	@echo "ganlab setup: updating pip in $(VENV) ..."
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "ganlab setup: installing ganlab, PyTorch and the course's packages (JupyterLab,"
	@echo "  pytest, ruff, ...) into $(VENV): about 6 GB on Linux, most of it PyTorch's CUDA"
	@echo "  libraries; 1-3 minutes on a fast connection, longer on a slow one. Nothing is"
	@echo "  downloaded again when it is already installed."
	$(PY) -m pip install --progress-bar on -e '.[course]'
	@touch $@
	@echo "ganlab setup: done. \`make lab\` starts JupyterLab, \`make test\` runs the tests."

# Jupyter refuses to run as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# JupyterLab's file browser hides these: its defaults, and pip's ganlab.egg-info.
LAB_HIDE := --ContentsManager.hide_globs="['__pycache__', '*.pyc', '*.pyo', '.DS_Store', '*~', '*.egg-info']"

lab: setup
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) $(LAB_HIDE) $(LAB_ARGS)

test: setup lint unit nbval

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The quick profile trains throw-away classifiers: keep them out of the user's cache.
TEST_CACHE := $(CURDIR)/.pytest_cache/ganlab

unit: setup
	GANLAB_PROFILE=quick GANLAB_CACHE=$(TEST_CACHE) $(PY) -m pytest tests

nbval: setup
	GANLAB_PROFILE=quick GANLAB_CACHE=$(TEST_CACHE) MPLBACKEND=Agg $(PY) -m pytest \
		-p no:cacheprovider --nbval-lax --nbval-current-env $(NOTEBOOK_DIRS)

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

notebooks: setup
	$(VENV)/bin/ganlab execute --profile full notebooks/*.ipynb

exercises: setup
	$(VENV)/bin/ganlab exercises

# On a GPU machine without the venv: its own python3 with PYTHONPATH=. (see README).
gpu-check:
	$(PYTHON) -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device')"
	PYTHONPATH=. $(PYTHON) -m pytest -q -p no:cacheprovider tests -k cuda
	PYTHONPATH=. $(PYTHON) -m ganlab.cli bench device

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
