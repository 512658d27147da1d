#!/usr/bin/env bash
# Pretraining on N processes (GPUs, or CPU processes with gloo): tools/dist_train.sh N --config ... --method ...
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: tools/dist_train.sh N --config ... --method ... --out ...}
shift
exec .venv/bin/torchrun --standalone --nproc_per_node "$N" -m pretrain.train "$@"
