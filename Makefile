# One entry point for people and CI. `make test` works on a fresh machine: it makes the
# virtualenv from uv.lock (the lock file the image installs from too), builds the real test
# stack (cached under ~/.cache/nbaccess-e2e) and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# The uv that made uv.lock; the Dockerfile's UV_VERSION is the same (tests/image checks).
UV_VERSION := 0.13.8

.PHONY: test lint lock unit stack demo demo-stop crds monitoring bench bench-e2e bench-lint chaos clean

$(BIN)/.installed: pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	# Byte-compiled at install, as in the image: without it every operator start compiles the
	# kubernetes client from source (where PYTHONDONTWRITEBYTECODE is set, at each start),
	# which costs seconds of CPU and leaves ~60 MiB more resident than the image would.
	UV_PROJECT_ENVIRONMENT=$(VENV) UV_COMPILE_BYTECODE=1 $(BIN)/uv sync --quiet --frozen --extra dev --inexact
	touch $@

# Re-resolves uv.lock after a change to pyproject.toml's dependencies.
lock: $(BIN)/.installed
	$(BIN)/uv lock

lint: $(BIN)/.installed
	$(BIN)/ruff check operator tests benchmarks
	$(BIN)/ruff format --check operator tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

# Builds kube-apiserver, etcd, netbird-server and helm from the Go module proxy (cached).
# Without a Go toolchain the e2e tier skips loudly, unless NBACCESS_E2E_REQUIRED=1.
stack:
	@if command -v go >/dev/null 2>&1; then bash tests/e2e/stack/build.sh; \
	elif [ "$${NBACCESS_E2E_REQUIRED:-0}" = 1 ]; then echo "no Go toolchain: cannot build the e2e stack" >&2; exit 1; \
	else echo "WARNING: no Go toolchain, the e2e tier will be skipped" >&2; fi

test: lint stack
	$(BIN)/pytest $(PYTEST_ARGS)

# Starts the real stack, runs the operator and applies examples/three-tier (see hack/demo.sh).
demo: $(BIN)/.installed stack
	bash hack/demo.sh

# Stops what `make demo` left running (the operator, then the stack).
demo-stop: $(BIN)/.installed
	bash hack/demo.sh stop

# Regenerates crds/ (and the chart's copy, which its templates/crds.yaml renders) from the
# pydantic models.
crds: $(BIN)/.installed
	$(BIN)/nbaccess crds --output-dir crds --output-dir charts/netbird-access-operator/files/crds

# Rewrites the plain copies of the chart's alert rules and dashboard under deploy/ (for
# installs without the chart); tests/e2e/monitoring fails when they fall behind.
monitoring: $(BIN)/.installed stack
	bash hack/monitoring.sh

# Prints how NetBird traffic and time grow with the number of objects (not part of `test`).
bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks.reconcile_scale

# Prints how `nbaccess lint` and `nbaccess matrix` time grows from 200 to 2,000 objects.
bench-lint: $(BIN)/.installed
	$(BIN)/python -m benchmarks.lint_scale

# The operator process against the real stack at 10, 100 and 500 groups + keys and a mixed
# 2,000: time to Ready, requests, idle CPU and requests, memory, time to delete (a table).
# Side by side with the official operator: BENCH_ARGS="--official-src <its checkout>".
bench-e2e: $(BIN)/.installed stack
	$(BIN)/python -m benchmarks.e2e_scale $(BENCH_ARGS)

# The large chaos runs (hundreds of CRs, dozens of SIGKILLs, a third of the requests faulted)
# against the real stack; prints a table. The test command runs a bounded one (tests/chaos).
chaos: $(BIN)/.installed stack
	$(BIN)/python -m tests.chaos.run

unit: $(BIN)/.installed
	$(BIN)/pytest tests/unit tests/integration $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
