#!/usr/bin/env bash
# salt forward --device cuda against torchvision (label cuda): tests/parity/check_forward_cli.py —
# eval-mode logits within max|d|/max|ref| <= 1e-4, train-mode within relative L2 <= 1e-3 of PyTorch's
# float32 output on the parity fixtures — with the salt executable wrapped to add --device cuda.
# Without a usable CUDA device it reports itself as skipped (exit 77).
# usage: cuda_forward_parity.sh SALT_BINARY PYTHON FIXTURE_DIR WORK_DIR
set -u
source "$(dirname "$0")/cli_lib.sh"
salt="$1"; python="$2"; fixtures="$3"; work="$4"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$work"
skip_without_cuda "$salt" "$work"
SALT_CUDA_WRAPPED="$salt" exec "$python" "$here/../parity/check_forward_cli.py" "$here/salt_on_cuda.sh" "$fixtures" "$work"
