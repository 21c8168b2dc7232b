#!/usr/bin/env bash
# End to end through the salt command: synth -> train -> (refuse to overwrite) -> resume -> eval ->
# predict -> show, plus the documented errors (exit 2 for bad arguments, 1 for bad files).
# usage: train_eval_predict.sh SALT_BINARY WORK_DIR
set -u
source "$(dirname "$0")/cli_lib.sh"
cli_start "$1" "$2"

check 0 "synth" "$salt" synth --out "$work/data" --count 40 --seed 2
check 0 "train 2 epochs" "$salt" train --data "$work/data" --out "$work/run" --epochs 2 --max-steps 2 --batch 4 --quiet
for f in best.safetensors last.ckpt log.csv curves.png split.txt run.txt; do
    [ -f "$work/run/$f" ] && echo "ok: run has $f" || { echo "FAIL: run lacks $f"; fail=1; }
done
check 1 "train refuses to overwrite a run" "$salt" train --data "$work/data" --out "$work/run" --epochs 2
contains "$work/err.txt" "already holds a training run" "the refusal says why"
check 0 "resume to 3 epochs" "$salt" train --resume "$work/run" --epochs 3 --quiet
[ "$(grep -c '^[0-9]' "$work/run/log.csv")" = 3 ] && echo "ok: log has 3 epochs" || { echo "FAIL: log.csv"; cat "$work/run/log.csv"; fail=1; }
check 0 "eval --json" "$salt" eval --weights "$work/run/best.safetensors" --data "$work/data" --json
contains "$work/out.txt" '"map":' "eval prints the TGS mAP"
check 0 "eval --tta --split all" "$salt" eval --weights "$work/run/best.safetensors" --data "$work/data" --split all --tta
contains "$work/out.txt" "images     40" "eval --split all sees every image"
check 0 "predict" "$salt" predict --weights "$work/run/best.safetensors" --images "$work/data/train/images" --out "$work/pred" --submission "$work/sub.csv"
[ "$(ls "$work/pred" | wc -l)" = 40 ] && echo "ok: 40 masks" || { echo "FAIL: mask count"; fail=1; }
[ "$(wc -l < "$work/sub.csv")" = 41 ] && echo "ok: submission has 40 rows" || { echo "FAIL: submission rows"; fail=1; }
contains "$work/sub.csv" "^id,rle_mask$" "submission header"
check 0 "show with predictions" "$salt" show --data "$work/data" --predictions "$work/pred" --out "$work/grid.png" --count 4
# Errors.
check 2 "train --batch 1" "$salt" train --data "$work/data" --out "$work/r2" --batch 1
check 2 "train --size 100 lists the compiled configurations" "$salt" train --data "$work/data" --out "$work/r3" --size 100
contains "$work/err.txt" "this salt is built with" "the size error lists the compiled models"
check 2 "train --loss unknown" "$salt" train --data "$work/data" --out "$work/r4" --loss focal
check 1 "train --resume of a non-run" "$salt" train --resume "$work/data"
check 1 "eval with a weights file that is not one" "$salt" eval --weights "$work/data/train.csv" --data "$work/data"
check 1 "predict into an empty image dir" "$salt" predict --weights "$work/run/best.safetensors" --images "$work/pred-none" --out "$work/p2"
echo "not a numpy file" > "$work/bad.npy"
check 1 "forward with a bad NPY" "$salt" forward --weights "$work/run/best.safetensors" --input "$work/bad.npy" --output "$work/y.npy"
[ -f "$work/y.npy" ] && { echo "FAIL: a failed forward left an output"; fail=1; } || echo "ok: nothing half-written"
exit $fail
