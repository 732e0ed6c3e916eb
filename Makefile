# Two commands matter: `make demo` and `make test`. Both set everything up on a fresh machine.
PY ?= python3
VENV := .venv
DDEV_VENV := .venv-ddev
BIN := $(VENV)/bin
SOURCES := $(shell find genesys_cloud toolkit/genesys_cloud_dd companion/genesys_cloud_velocity -type f -not -path '*/__pycache__/*' 2>/dev/null) pyproject.toml \
	toolkit/pyproject.toml companion/pyproject.toml \
	metadata.csv manifest.json $(shell find assets architect_snippets -type f 2>/dev/null)

.PHONY: demo test lint validate sync faults bench wheel clean docs-images docs-samples

demo: $(VENV)/.installed
	$(BIN)/genesys-cloud-dd demo

test: $(VENV)/.installed $(DDEV_VENV)/.ready
	$(BIN)/ruff check .
	scripts/ddev.sh validate
	$(BIN)/genesys-cloud-dd assets validate
	$(BIN)/python -m pytest -q

lint: $(VENV)/.ready
	$(BIN)/ruff check .

validate: $(DDEV_VENV)/.ready
	scripts/ddev.sh validate

# Regenerate conf.yaml.example and the config models after editing assets/configuration/spec.yaml.
sync: $(DDEV_VENV)/.ready
	scripts/ddev.sh sync

faults: $(VENV)/.installed
	$(BIN)/python -m pytest tests/test_fault_matrix.py tests/test_fault_untrusted.py tests/test_fault_ownership.py \
		tests/test_chaos.py tests/test_outbound_policy.py tests/test_config_bounds.py tests/test_notifications.py \
		-q --fault-table

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/bench_velocity.py

# dist/: the Agent wheel (the check only), the toolkit wheel and the companion wheel.
wheel: $(VENV)/.ready
	$(BIN)/python -m build --wheel --no-isolation --outdir dist .
	GENESYS_CLOUD_DD_PORTABLE=1 $(BIN)/python -m build --wheel --no-isolation --outdir dist toolkit
	$(BIN)/python -m build --wheel --no-isolation --outdir dist companion

$(VENV)/.ready: requirements/dev.txt
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (set PY=python3.X)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements/dev.txt
	touch $@

# The check installs as the Agent installs it (datadog_checks.genesys_cloud); the toolkit beside it, as a user
# installs it, so `genesys-cloud-dd` and its package data are the real thing. Tests import both from source.
$(VENV)/.installed: $(VENV)/.ready $(SOURCES)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation --force-reinstall . ./toolkit ./companion
	touch $@

# ddev pins versions that clash with the test environment, so it gets its own.
$(DDEV_VENV)/.ready: requirements/ddev.txt
	$(PY) -m venv $(DDEV_VENV)
	$(DDEV_VENV)/bin/python -m pip install -q --upgrade pip
	$(DDEV_VENV)/bin/python -m pip install -q -r requirements/ddev.txt
	touch $@

# The charts the README shows, drawn by the evidence packs against the emulator (fixed clock and seed), and the
# dashboard previews (images/, listed in manifest.json's media) from a simulated day of the check.
docs-images: $(VENV)/.installed
	$(BIN)/python scripts/docs_images.py
	MPLBACKEND=Agg $(BIN)/genesys-cloud-dd assets preview -o images

# The sample outputs README.md and docs/ show, made again by running each command as the docs test does (fixed clock
# and seed: GENESYS_CLOUD_DD_CLOCK, tests/docs_commands.py).
docs-samples: $(VENV)/.installed
	$(BIN)/python scripts/docs_samples.py

clean:
	rm -rf $(VENV) $(DDEV_VENV) dist build toolkit/dist
