# The single entry point for people and CI. `make run` runs the system, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint train evaluate bench

# (Re)install only when the pinned requirements change.
$(INSTALLED): requirements/portal.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

install: $(INSTALLED)

run: install
	$(BIN)/python -m devtools.run

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

train: install
	$(BIN)/python -m training.train --data ../shared/cxr --out serving/models/densenet

evaluate: install
	$(BIN)/python -m training.evaluate --model serving/models/densenet --data ../shared/cxr --out var/report.json

bench: install
	$(BIN)/python -m bench.serving --out var/bench.json
