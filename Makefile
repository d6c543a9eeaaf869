# peerwork: the two commands a new user needs are `make reports` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

LOCK   := requirements.lock

.PHONY: install bytecode git-filter reports test test-slow lab clean demo-data raw-data prepare import-codes benchmark lock

install: $(STAMP) git-filter

# Bytecode. Python compiles each module it imports and keeps the result (.pyc files in the
# __pycache__ folders of .venv and of this project, git-ignored) unless PYTHONDONTWRITEBYTECODE
# is set, as many container images do; a batch starts several Python processes, and each of
# them would then compile pandas, scipy, plotly and matplotlib from source on every run.
# Everything run through make writes bytecode for what it imports, once. Installing compiles
# nothing in advance: compiling the whole lock took 24 s of a fresh clone's `make reports`,
# for about 11,700 modules, of which a batch imports about 2,300. `make bytecode` compiles
# all of .venv and peerlib (for a read-only shared install, e.g. on a cluster).
export PYTHONDONTWRITEBYTECODE :=

bytecode: install
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib peerlib >/dev/null

# The exact versions (and hashes) of every library come from the lock file committed with the
# project: installed with uv (itself a pinned package of the lock, installed from PyPI; by
# this Python's pip when it has one, else by a pip of the venv's own).
# peerlib itself is built by the lock's setuptools, in .venv (no build environment of its own).
# uv is checked by running it (a copy cut short by an interrupted install is replaced) and
# installed from its entry in the lock, hashes required.
UV_REQS = $(VENV)/uv-requirements.txt
PIP_OPT = --quiet --disable-pip-version-check --no-deps --force-reinstall --require-hashes \
	    -r $(UV_REQS)
GET_UV  = $(BIN)/uv --version >/dev/null 2>&1 || { \
	    awk '/^uv==/ {p = 1; print; next} p && /^[^ ]/ {exit} p' $(LOCK) > $(UV_REQS) && \
	    { $(PYTHON) -m pip --python $(BIN)/python install $(PIP_OPT) 2>/dev/null || \
	      { $(BIN)/python -m ensurepip --default-pip >/dev/null && \
	        $(BIN)/python -m pip install $(PIP_OPT); }; }; }

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(GET_UV)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Refresh the lock after changing the dependencies in pyproject.toml (then commit it; also
# keep environment.yml in step: tests/test_packaging.py checks both).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(GET_UV)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lab --extra lock \
	    --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	    --no-header --quiet -o $(LOCK)


# data/raw is git-ignored: on a fresh clone it holds only its README, and the synthetic demo
# is generated there (never over files that demo-data did not write).
raw-data: install
	$(BIN)/peerlib demo-data --if-empty

# Notebooks are committed without outputs, whoever commits them: nbstripout is this
# repository's git filter for *.ipynb (see .gitattributes). Cell ids are kept.
git-filter: $(STAMP)
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	    git config filter.nbstripout.clean "'$(abspath $(BIN))/python' -m nbstripout --keep-id" && \
	    git config filter.nbstripout.smudge cat && \
	    git config filter.nbstripout.required true && \
	    git config diff.ipynb.textconv "'$(abspath $(BIN))/python' -m nbstripout --keep-id -t"; \
	fi

prepare: raw-data
	$(BIN)/peerlib prepare

# Coded Part 2 transcripts (REFI-QDA .qdpx or Taguette CSV); skipped when the file is absent.
QDA ?= data/raw/part2_demo.qdpx

import-codes: prepare
	test ! -f $(QDA) || $(BIN)/peerlib import-codes $(QDA)

reports: prepare import-codes
	$(BIN)/peerlib reports

# The suite runs on every core (pytest-xdist; TEST_JOBS=0 runs it in one process). Each
# test file stays on one worker: a notebook's cells (nbval) share one kernel.
TEST_JOBS ?= auto

test: install
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

# Stress tests with 200 MB inputs (size limits; several minutes), excluded from `make test`.
test-slow: install
	$(BIN)/python -m pytest -m slow tests/

# JupyterLab on this machine only (127.0.0.1). PORT= picks the port (fails if it is taken);
# LAB_ARGS= passes other options to `jupyter lab`; TOKEN= sets the login token (default: a
# new random one). Runs as root too (containers, lab machines). Stop it with Ctrl+C.
PORT     ?= 8888
LAB_ARGS ?=
TOKEN    ?=

lab: install
	@allow_root=""; if [ "$$(id -u)" = "0" ]; then allow_root="--allow-root"; fi; \
	token="$(TOKEN)"; [ -n "$$token" ] || token=$$($(BIN)/python -c "import secrets; print(secrets.token_hex(24))"); \
	echo "JupyterLab: open http://127.0.0.1:$(PORT)/lab?token=$$token"; \
	echo "(on this machine only; stop it with Ctrl+C in this terminal, or File > Shut Down)"; \
	exec $(BIN)/jupyter lab --no-browser --ip=127.0.0.1 --port=$(PORT) \
	    --ServerApp.port_retries=0 --IdentityProvider.token=$$token \
	    --ServerApp.root_dir=notebooks $$allow_root $(LAB_ARGS)

demo-data: install
	$(BIN)/peerlib demo-data

benchmark: install
	$(BIN)/python benchmarks/batch.py

# Removes everything derived (prepared data, validation report, reports, run status); keeps
# data/raw, the pseudonym key, .venv and data/releases (the record of every release, which
# later batches are checked against: see the README, "Releases compared").
clean:
	find data/processed reports -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf data/validation
