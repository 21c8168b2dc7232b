#!/usr/bin/env python3
"""Checks `salt forward` end to end against a parity fixture directory written by
make_parity_fixtures.py: the input goes in as NPY (NCHW float32), the logits come back as NPY and
must match torchvision's eval-mode output (max|d|/max|ref| <= 1e-4) and, with --train-mode, its
train-mode output (relative L2 <= 1e-3).

usage: check_forward_cli.py SALT_BINARY FIXTURE_DIR WORK_DIR
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=DTYPES[v["dtype"]]).reshape(v["shape"])
    return out


def main():
    salt, fixtures, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    x = read_safetensors(os.path.join(fixtures, "input.safetensors"))["input"]
    np.save(os.path.join(work, "input.npy"), x)
    weights = os.path.join(fixtures, "weights.safetensors")
    ok = True
    for mode, ref_file, tensor in (("eval", "eval_out.safetensors", "out"), ("train", "train.safetensors", "out")):
        out_path = os.path.join(work, f"out_{mode}.npy")
        cmd = [salt, "forward", "--weights", weights, "--input", os.path.join(work, "input.npy"), "--output", out_path]
        if mode == "train":
            cmd.append("--train-mode")
        subprocess.run(cmd, check=True)
        got = np.load(out_path)
        ref = read_safetensors(os.path.join(fixtures, ref_file))[tensor].astype(np.float64)
        if got.shape != ref.shape or got.dtype != np.float32:
            print(f"{mode}: salt wrote {got.dtype} {got.shape}, expected float32 {ref.shape}")
            ok = False
            continue
        if mode == "eval":
            err = np.abs(got - ref).max() / np.abs(ref).max()
            good = err <= 1e-4
            print(f"eval: max|d|/max|ref| = {err:.3g} (limit 1e-4)")
        else:
            err = np.linalg.norm(got - ref) / np.linalg.norm(ref)
            good = err <= 1e-3
            print(f"train: relative L2 = {err:.3g} (limit 1e-3)")
        ok = ok and good
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
