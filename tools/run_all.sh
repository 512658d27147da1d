#!/usr/bin/env bash
# The whole benchmark for one backbone: tools/run_all.sh deit_s [--profile demo|paper|tiny] [--methods deit,transmix,mixpro]
#   [--seeds 0,1,2] [--data-root DIR] [--out runs] [--gpus N]
# Builds the environment first (tools/bootstrap.sh), then runs tools/run_all.py: pretraining, transfer, robustness and
# the report, skipping every stage whose results.json already matches its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/bootstrap.sh
exec .venv/bin/python -m tools.run_all "$@"
