#!/usr/bin/env bash
# Pretraining on N processes per node (GPUs, or CPU processes with gloo), OpenMMLab's launcher convention:
#   tools/dist_train.sh N --config ... --method ... --out ...
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 PORT=29500 tools/dist_train.sh 8 ...   (on the first node)
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=10.0.0.1 PORT=29500 tools/dist_train.sh 8 ...   (on the second)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: tools/dist_train.sh N --config ... --method ... --out ...}
shift
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PY=${PYTHON:-.venv/bin/python}
exec "$PY" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --master_port="$PORT" --nproc_per_node="$N" -m pretrain.train --launcher pytorch "$@"
