#!/usr/bin/env bash
# One entry point for a fresh machine (Python 3.11+, root for the browser packages):
#   bash run.sh demo   set everything up, generate demo data, build the warehouse, show it
#   bash run.sh test   set everything up, then lint, type-check and run the whole test suite
#   bash run.sh test-fast   lint, layer check and the tests not marked slow (under a minute)
# Anything after the command is passed on (to `shopsight demo` or to pytest).
set -euo pipefail
cd "$(dirname "$0")"

VENV="${SHOPSIGHT_VENV:-.venv}"
# OpenMP threads that spin while waiting starve each other on a 2-core machine (a 10 s model
# fit took 467 s next to another busy process); passive waiting costs nothing when idle.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
PY="${PYTHON:-python3}"

say() { printf '\n==> %s\n' "$*" >&2; }

setup_python() {
    local extras="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating the virtual environment $VENV"
        "$PY" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$extras"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "installing ShopSight and its packages ($extras)"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e ".[$extras]"
        touch "$stamp"
    fi
}

setup_browser() {
    # Browser tests drive Debian's Chromium; test tools cannot download browsers here.
    if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
        return
    fi
    if [ "$(id -u)" != "0" ]; then
        say "chromium and chromium-driver are missing and this is not root: browser tests will skip"
        return
    fi
    say "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
}

cmd="${1:-}"
shift || true
case "$cmd" in
    demo)
        setup_python "test"
        exec "$VENV/bin/shopsight" demo "$@"
        ;;
    test)
        setup_python "test,dev"
        setup_browser
        say "ruff (lint and format)"
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        say "mypy (every package below the dashboard)"
        "$VENV/bin/mypy"
        say "import-linter (the layers of docs/architecture.md)"
        "$VENV/bin/lint-imports"
        say "pytest"
        exec "$VENV/bin/pytest" "$@"
        ;;
    test-fast)
        # The edit-test loop: unit tests and the fast integration tests, on every core
        # (pytest-xdist; add `-n 0` for one process). Left out: mypy (half a minute on two
        # cores; `test` runs it), the browser and real-data tests and every test marked slow
        # (pipelines that train models, slow-to-fit candidates, servers and commands started in
        # a fresh interpreter, tests that wait out a time limit). About 45 s on two cores.
        setup_python "test,dev"
        say "ruff (lint and format)"
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        say "import-linter (the layers of docs/architecture.md)"
        "$VENV/bin/lint-imports"
        say "pytest (not slow)"
        exec "$VENV/bin/pytest" -m "not slow" -n auto "$@"
        ;;
    *)
        echo "usage: bash run.sh demo|test|test-fast [args…]" >&2
        exit 2
        ;;
esac
