# The single entry point for people and CI. `make run` runs the system, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint train evaluate bench resilience vendor

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

# The browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
test: lint
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)
	$(BIN)/python -m pytest

train: install
	$(BIN)/python -m training.train --data ../shared/cxr --out serving/models/densenet

evaluate: install
	$(BIN)/python -m training.evaluate --model serving/models/densenet --data ../shared/cxr --out var/report.json

bench: install
	$(BIN)/python -m bench.serving --out var/bench.json

# Faults under load (bench/resilience.py; results in docs/resilience.md); --quick for a short run.
resilience: install
	$(BIN)/python -m bench.resilience

# Re-copies the vendored front-end files from npm (versions pinned in package.json and
# package-lock.json). The copies are committed, so nothing else needs npm.
vendor:
	npm ci --no-audit --no-fund
	mkdir -p portal/static/vendor/bootstrap/css tests/browser/vendor/axe-core
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
		portal/static/vendor/bootstrap/css/
	cp node_modules/bootstrap/LICENSE portal/static/vendor/bootstrap/
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE tests/browser/vendor/axe-core/
