#!/usr/bin/env bash
# `make bench-gpu` for one architecture on a lent GPU machine (docs/benchmarks.md says how).
# Its python3 has torch with CUDA, transformers and accelerate; what else the diffusers engine
# imports travels as wheels in .whl/ (`make device-wheels`), and atelier itself runs from src/.
# Usage: bash bench/on_device.sh ARCH SIZE [more bench_diffusion.py options]
set -euo pipefail
arch=${1:?architecture, e.g. sd-turbo or sdxl}
size=${2:?image size, e.g. 512 or 1024}
shift 2
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:src PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 bench/bench_diffusion.py --arch "$arch" --size "$size" "$@" 2>&1 \
    | grep -v -e Warning -e warn -e torchvision | tee "${OUT:-.}/bench-$arch.txt"
