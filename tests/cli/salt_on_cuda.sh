#!/usr/bin/env bash
# `salt <arguments> --device cuda`, for scripts that take one salt executable and must drive the
# CUDA backend (tests/parity/check_forward_cli.py in cli_cuda_forward_parity and scripts/gpu-check).
# The real executable comes from SALT_CUDA_WRAPPED.
exec "${SALT_CUDA_WRAPPED:?set SALT_CUDA_WRAPPED to the salt executable}" "$@" --device cuda
