#!/usr/bin/env bash
# Part (d) of `make bench` on a GPU machine that has JAX but no TensorFlow (Keras 3 with KERAS_BACKEND=jax):
# per-step times of the full profile's models at the lecture's sizes, the estimated full-profile time, and
# JOBS trainings at once on the one GPU. Writes $OUT_DIR/results-gpu.json.
#
#   bash benchmarks/gpu.sh [JOBS] [OUT_DIR]          (from the repository root)
#
# Packages the machine lacks (keras, namex, optree) can come as wheels in .whl/ (see benchmarks/README.md).
set -euo pipefail
jobs=${1:-4}
out=${2:-benchmarks}
if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
if command -v nvidia-smi > /dev/null; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; fi
python3 -m ch6.bench --parts estimate --jobs "$jobs" --out "$out/results-gpu.json"
