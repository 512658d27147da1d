#!/usr/bin/env bash
# Pretraining under SLURM, OpenMMLab's launcher convention (one task per GPU, srun):
#   tools/slurm_train.sh PARTITION JOB_NAME GPUS --config ... --method ... --out ...
#   GPUS_PER_NODE (default 8), CPUS_PER_TASK (default 5), SRUN_ARGS (extra srun arguments, e.g. "--time=72:00:00").
# Each task reads its rank from SLURM_PROCID and the job's first node becomes the master (pretrain.train
# --launcher slurm). Requeued or preempted jobs resume with --resume from the run directory's checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
PARTITION=${1:?usage: tools/slurm_train.sh PARTITION JOB_NAME GPUS --config ... --method ... --out ...}
JOB_NAME=${2:?job name}
GPUS=${3:?number of GPUs}
shift 3
GPUS_PER_NODE=${GPUS_PER_NODE:-$(( GPUS < 8 ? GPUS : 8 ))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PY=${PYTHON:-.venv/bin/python}
# shellcheck disable=SC2086  # SRUN_ARGS holds several arguments
exec srun -p "$PARTITION" --job-name="$JOB_NAME" --gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" \
  --ntasks-per-node="$GPUS_PER_NODE" --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 $SRUN_ARGS \
  "$PY" -u -m pretrain.train --launcher slurm "$@"
