#!/usr/bin/env bash
# Set everything up, then run every test: unit, ops, CLI and the end-to-end tests on real Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
exec .venv/bin/python -m pytest -v -rs --durations=15 "$@" tests
