# peerwork: the two commands a new user needs are `make reports` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install reports test test-slow lab clean demo-data prepare import-codes benchmark

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lab]"
	touch $(STAMP)

prepare: install
	$(BIN)/peerlib prepare

# Coded Part 2 transcripts (REFI-QDA .qdpx or Taguette CSV); skipped when the file is absent.
QDA ?= data/raw/part2_demo.qdpx

import-codes: prepare
	test ! -f $(QDA) || $(BIN)/peerlib import-codes $(QDA)

reports: prepare import-codes
	$(BIN)/peerlib reports

test: install
	$(BIN)/python -m pytest

# Stress tests with 200 MB inputs (size limits; several minutes), excluded from `make test`.
test-slow: install
	$(BIN)/python -m pytest -m slow tests/

lab: install
	$(BIN)/jupyter lab notebooks/

demo-data: install
	$(BIN)/peerlib demo-data

benchmark: install
	$(BIN)/python benchmarks/batch.py

# Removes everything derived (prepared data, validation report, reports, run status); keeps
# data/raw, the pseudonym key and .venv.
clean:
	find data/processed reports -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf data/validation
