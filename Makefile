# The two commands of the README: `make run` and `make test`. Both create .venv when missing and
# install torch explicitly first, so that no dependency pulls a CUDA build of several GB.
# GPU users override the pin, e.g.  make run TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.medbench-installed
# One BLAS/OpenMP thread per process: on 2 cores, torch's default threads slow small ops 2-100x.
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: run test lint setup clean

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The run, then every record under runs/ submitted to its task's leaderboard (records already there
# are recognised; a refused one is reported with its reason and does not stop the build; reruns under
# runs/_reproductions/ are skipped), then the site. No baseline is named here: the committee chooses
# one with `medbench leaderboard baseline`, so Δ never compares with whichever run came first.
run: $(STAMP)
	$(BIN)/medbench run $(ARGS)
	-$(BIN)/medbench submit --skip-failed runs/*/*/
	$(BIN)/medbench leaderboard build

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

# The import contracts of pyproject.toml ([tool.importlinter]): layers, store walls, no torch below the engine.
lint: $(STAMP)
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) .pytest_cache
