# sitegen: `make demo` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_ARGS ?=

.PHONY: demo test lint typecheck unit chaos bench quality install lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exact versions from the lock, so a fresh machine gets what CI tested.
$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sitegen demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy sitegen tests bench

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# Orders through their whole life while processes are killed and dependencies go down;
# prints a table of faults, duplicates and losses. SITEGEN_CHAOS_SEED repeats a run. Also
# every test marked `chaos` elsewhere: the slow ones that kill workers and wait them out.
chaos: $(STAMP)
	$(BIN)/pytest -m chaos -q -s -p no:cacheprovider tests

# Every scenario (python -m bench: sequential, throughput, overhead, revision, api_load,
# scale, realistic_ai, rush), each on its own private stack, into bench/results/latest.json
# and the README's table. `make bench BENCH_ARGS=--quick` is a short run of each.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Every template x example built and judged by Lighthouse, the Nu checker and axe-core
# (needs chromium, node/npm, java); `QUALITY_ARGS=--quick` is a few minutes.
quality: $(STAMP)
	$(BIN)/python -m bench.quality $(QUALITY_ARGS)

# Re-resolve the lock after changing dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) .sitegen .pytest_cache .mypy_cache .ruff_cache
