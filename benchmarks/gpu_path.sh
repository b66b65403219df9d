#!/usr/bin/env bash
# The GPU path as one command on a GPU machine: a virtualenv with CUDA torch (TORCH_SPEC, the
# README's pin by default), then benchmarks/gpu_path.py with the given arguments, e.g.
#   bash benchmarks/gpu_path.sh --pneumoniamnist /data/pneumoniamnist.npz --scifact /data/scifact.zip --out gpu_path.json
# On a clone whose .venv already holds the CPU build, `make clean` first.
set -euo pipefail
cd "$(dirname "$0")/.."
make setup TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0 --index-url https://download.pytorch.org/whl/cu126}"
exec .venv/bin/python benchmarks/gpu_path.py "$@"
