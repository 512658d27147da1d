#!/usr/bin/env bash
# The whole test suite: environment, lint, tests. Non-zero exit on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
echo "[test] ruff check" >&2
.venv/bin/ruff check .
echo "[test] pytest" >&2
exec .venv/bin/python -m pytest tests "$@"
