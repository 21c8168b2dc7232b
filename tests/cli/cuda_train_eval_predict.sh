#!/usr/bin/env bash
# The salt command on a GPU (label cuda): synth -> train --device cuda -> resume on the GPU -> resume
# on the CPU (checkpoints move between backends) -> eval, predict, forward and bench on the GPU, and
# the GPU's eval-mode logits against the CPU's for the same weights (max|d|/max|ref| <= 1e-4, the
# eval tolerance of tests/parity; TF32 is off, so both are fp32). Without a usable CUDA device it
# reports itself as skipped (exit 77) — never as passed.
# usage: cuda_train_eval_predict.sh SALT_BINARY WORK_DIR
set -u
source "$(dirname "$0")/cli_lib.sh"
cli_start "$1" "$2"
skip_without_cuda "$salt" "$work"
grep '^--device cuda' "$work/probe.txt"

check 0 "synth" "$salt" synth --out "$work/data" --count 40 --seed 2
check 0 "train --device cuda, 2 epochs" "$salt" train --device cuda --data "$work/data" --out "$work/run" --epochs 2 \
    --max-steps 3 --batch 4
contains "$work/err.txt" "cuda:0" "train's progress names the GPU"
for f in best.safetensors last.ckpt log.csv curves.png split.txt run.txt; do
    [ -f "$work/run/$f" ] && echo "ok: run has $f" || { echo "FAIL: run lacks $f"; fail=1; }
done
check 0 "resume on the GPU to 3 epochs" "$salt" train --resume "$work/run" --epochs 3 --device cuda --quiet
check 0 "resume on the CPU to 4 epochs" "$salt" train --resume "$work/run" --epochs 4 --device cpu --quiet
[ "$(grep -c '^[0-9]' "$work/run/log.csv")" = 4 ] && echo "ok: log has 4 epochs" || { echo "FAIL: log.csv"; cat "$work/run/log.csv"; fail=1; }
if awk -F, 'NR > 1 { for (i = 2; i <= NF; ++i) if ($i == "nan" || $i == "-nan" || $i == "inf") bad = 1 } END { exit bad }' "$work/run/log.csv"; then
    echo "ok: no NaN/inf in log.csv"
else
    echo "FAIL: NaN/inf in log.csv"; cat "$work/run/log.csv"; fail=1
fi
check 0 "eval --device cuda --json" "$salt" eval --device cuda --weights "$work/run/best.safetensors" --data "$work/data" --json
contains "$work/out.txt" '"map":' "eval prints the TGS mAP"
check 0 "eval --device cuda --tta --split all" "$salt" eval --device cuda --weights "$work/run/best.safetensors" \
    --data "$work/data" --split all --tta
contains "$work/out.txt" "images     40" "eval --split all sees every image"
check 0 "predict --device cuda" "$salt" predict --device cuda --weights "$work/run/best.safetensors" \
    --images "$work/data/train/images" --out "$work/pred" --submission "$work/sub.csv"
[ "$(ls "$work/pred" | wc -l)" = 40 ] && echo "ok: 40 masks" || { echo "FAIL: mask count"; fail=1; }

# The same weights on both backends: an NCHW batch of 3 random images through salt forward.
python3 - "$work/x.npy" <<'PY'
import random, struct, sys
n, c, h, w = 3, 1, 128, 128
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }" % (n, c, h, w)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
rng = random.Random(5)
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (n * c * h * w), *[rng.gauss(0, 1) for _ in range(n * c * h * w)]))
PY
check 0 "forward --device cpu" "$salt" forward --weights "$work/run/best.safetensors" --input "$work/x.npy" --output "$work/y_cpu.npy"
check 0 "forward --device cuda" "$salt" forward --device cuda --weights "$work/run/best.safetensors" --input "$work/x.npy" --output "$work/y_cuda.npy"
if python3 - "$work/y_cpu.npy" "$work/y_cuda.npy" <<'PY'
import struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<H", b[8:10])[0]
    data = b[10 + n:]
    return struct.unpack("<%df" % (len(data) // 4), data)
ref, got = load(sys.argv[1]), load(sys.argv[2])
assert len(ref) == len(got) and ref, "different sizes"
err = max(abs(a - b) for a, b in zip(got, ref)) / max(abs(a) for a in ref)
print(f"GPU vs CPU eval-mode logits: max|d|/max|ref| = {err:.3g} (limit 1e-4)")
sys.exit(0 if err <= 1e-4 else 1)
PY
then echo "ok: GPU logits match the CPU's"; else echo "FAIL: GPU logits differ from the CPU's"; fail=1; fi

check 0 "bench --device cuda" "$salt" bench --device cuda --batch 8 --reps 3
contains "$work/out.txt" "images/s" "bench prints images/s"
cat "$work/out.txt"
check 0 "bench --device cuda --tf32" "$salt" bench --device cuda --tf32 --batch 8 --reps 3
cat "$work/out.txt"
check 1 "a GPU that does not exist" "$salt" bench --device cuda:99
contains "$work/err.txt" "there is no CUDA device 99" "the error names the missing GPU"
exit $fail
