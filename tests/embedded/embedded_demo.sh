#!/usr/bin/env bash
# The embedded example end to end: train salt's default model for two steps, pack it with
# `salt export-embedded`, segment images with salt-embedded-demo (built -fno-exceptions -fno-rtti,
# static arena) and compare its masks with `salt predict`'s for the same weights and settings;
# then the example's and the exporter's errors.
# Then the int8 precision: `salt quantize` (with --check), the int8 example, blobs of the other precision.
# usage: embedded_demo.sh SALT DEMO PYTHON WORK_DIR DEMO_INT8
set -u
source "$(dirname "$0")/../cli/cli_lib.sh"
demo="$2"
py="$3"
demo8="$5"
cli_start "$1" "$4"

check 0 "synth" "$salt" synth --out "$work/data" --count 8 --seed 3
check 0 "train 2 steps" "$salt" train --data "$work/data" --out "$work/run" --epochs 1 --max-steps 2 --batch 4 --quiet
check 0 "info prints the embedded arena" "$salt" info
contains "$work/out.txt" "embedded inference (salt/embedded, fp32, no heap): arena" "info: embedded arena line"

# PNG -> PGM for the example (OpenCV from Debian's python3-opencv).
"$py" - "$work/data/train/images" "$work/pgm" <<'PY' || { echo "FAIL: PNG to PGM"; fail=1; }
import os, sys, cv2
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name in sorted(os.listdir(src))[:3]:
    img = cv2.imread(os.path.join(src, name), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(os.path.join(dst, name[:-4] + ".pgm"), img)
PY

# The same weights through salt predict and through the example: first at the saved settings (after
# two training steps the masks are empty or full), then at a threshold put at the median probability
# the example reports for the first image, so that its mask is about half salt. A pixel may differ
# from salt predict's only where its probability is within 1e-4 of the threshold (the two paths sum
# in different orders).
compare() {  # compare <label> <threshold or ""> : demo vs predict on every image
    local t="$1" opt=()
    [ -n "$2" ] && opt=(--threshold "$2")
    check 0 "export-embedded ($t)" "$salt" export-embedded --weights "$work/run/best.safetensors" --out "$work/model-$t.bin" "${opt[@]}"
    check 0 "predict ($t)" "$salt" predict --weights "$work/run/best.safetensors" --images "$work/data/train/images" --out "$work/pred-$t" --quiet "${opt[@]}"
    for f in "$work"/pgm/*.pgm; do
        id="$(basename "$f" .pgm)"
        check 0 "demo $id ($t)" "$demo" "$work/model-$t.bin" "$f" "$work/mask-$t-$id.pgm" "$work/prob-$t-$id.f32"
        "$py" - "$work/pred-$t/$id.png" "$work/mask-$t-$id.pgm" "$work/prob-$t-$id.f32" "${2:-0.5}" <<'PY' || fail=1
import sys, cv2, numpy as np
a = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE) > 0
b = cv2.imread(sys.argv[2], cv2.IMREAD_GRAYSCALE) > 0
p = np.fromfile(sys.argv[3], dtype=np.float32)
if a.shape != b.shape or p.size != a.size:
    print(f"FAIL: {sys.argv[2]}: shape {b.shape} / {p.size} probabilities, salt predict's {a.shape}"); sys.exit(1)
p = p.reshape(a.shape)
diff = a != b
far = diff & (np.abs(p - float(sys.argv[4])) >= 1e-4)
print(f"{'FAIL' if far.any() else 'ok'}: {sys.argv[2]}: {int(diff.sum())} pixels differ from salt predict, "
      f"{int(far.sum())} of them away from the threshold ({int(a.sum())} salt pixels of {a.size}; "
      f"probabilities {p.min():.6f}..{p.max():.6f})")
sys.exit(1 if far.any() else 0)
PY
    done
}
compare saved ""
first="$(ls "$work"/pgm/*.pgm | head -1)"
median="$("$py" -c "import sys, numpy as np; print('%.9f' % float(np.median(np.fromfile(sys.argv[1], dtype=np.float32))))" \
          "$work/prob-saved-$(basename "$first" .pgm).f32")"
echo "median probability of $(basename "$first"): $median"
compare median "$median"
salt_px="$("$py" -c "import sys, cv2; print(int((cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE) > 0).sum()))" \
           "$work/mask-median-$(basename "$first" .pgm).pgm")"
if [ "$salt_px" -gt 2000 ] && [ "$salt_px" -lt 8200 ]; then echo "ok: the median threshold gives a mixed mask ($salt_px salt pixels)"
else echo "FAIL: the median threshold gives $salt_px salt pixels of 10201"; fail=1; fi

# Errors: one line, exit 1, no output file.
check 2 "demo without arguments" "$demo"
check 1 "demo: missing blob" "$demo" "$work/none.bin" "$first" "$work/e1.pgm"
head -c 1000 "$work/model-saved.bin" > "$work/short.bin"
check 1 "demo: truncated blob" "$demo" "$work/short.bin" "$first" "$work/e2.pgm"
contains "$work/err.txt" "shorter than its header says" "truncated blob named"
{ cat "$work/model-saved.bin"; printf 'trailing bytes'; } > "$work/long.bin"
check 1 "demo: blob with trailing bytes" "$demo" "$work/long.bin" "$first" "$work/e5.pgm"
contains "$work/err.txt" "larger than this model's" "trailing bytes named"
# Weights of another configuration (the library's own default, torchvision's output stride 8 without
# the classifier): refused, naming both configurations.
check 0 "train another configuration" "$salt" train --data "$work/data" --out "$work/run-os8" --epochs 1 --max-steps 1 --batch 4 \
    --output-stride 8 --classifier off --quiet
check 0 "export another configuration" "$salt" export-embedded --weights "$work/run-os8/best.safetensors" --out "$work/os8.bin" --quiet
check 1 "demo: blob of another configuration" "$demo" "$work/os8.bin" "$first" "$work/e6.pgm"
contains "$work/err.txt" "the blob is for 128x128, 1 channel(s), ResNet 3-4-6-3 (bottlenecks), output stride 8, DeepLabV3, no image classifier; this program is built for 128x128, 1 channel(s), ResNet 3-4-6-3 (bottlenecks), output stride 16, DeepLabV3, image classifier" "other configuration named"
printf 'not a model at all, but longer than one header of 128 bytes.......................................................................' > "$work/junk.bin"
check 1 "demo: not a blob" "$demo" "$work/junk.bin" "$first" "$work/e3.pgm"
contains "$work/err.txt" "SALTEMB1" "bad magic named"
printf 'P5\n200 200\n255\n' > "$work/big.pgm"
check 1 "demo: image too large" "$demo" "$work/model-saved.bin" "$work/big.pgm" "$work/e4.pgm"
cp "$work/data/train/images/$(basename "$first" .pgm).png" "$work/image.png"
check 1 "demo: PNG instead of PGM" "$demo" "$work/model-saved.bin" "$work/image.png" "$work/e5.pgm"
check 1 "demo: unwritable output" "$demo" "$work/model-saved.bin" "$first" "$work/no/such/dir/m.pgm"
for e in e1 e2 e3 e4 e5; do [ -e "$work/$e.pgm" ] && { echo "FAIL: $e.pgm written"; fail=1; }; done

# int8: quantise (calibrating on the run's training split), check against fp32, run the int8 example.
check 0 "info prints the int8 arena" "$salt" info
contains "$work/out.txt" "embedded inference (salt/embedded, int8, no heap): arena" "info: int8 arena line"
# (at the median threshold, so that the int8 masks compared below are part salt)
check 0 "quantize --check" "$salt" quantize --weights "$work/run/best.safetensors" --data "$work/data" --out "$work/model8.bin" \
    --calibration-images 4 --check --threshold "$median"
contains "$work/out.txt" "int8 - fp32: mAP" "quantize --check compares int8 with fp32"
contains "$work/out.txt" "4 calibration images" "quantize names its calibration"
contains "$work/err.txt" "calibrating on 4 training images" "quantize reports its progress"
mkdir -p "$work/png3"
for f in "$work"/pgm/*.pgm; do
    id="$(basename "$f" .pgm)"
    check 0 "int8 demo $id" "$demo8" "$work/model8.bin" "$f" "$work/mask8-$id.pgm"
    contains "$work/out.txt" "salt-embedded-demo-int8: " "int8 demo reports"
    cp "$work/data/train/images/$id.png" "$work/png3/"
done
# salt predict runs an int8 blob through the same path (on two threads here): the same masks as the
# example's, bit for bit; then its errors for a blob.
check 0 "predict with the int8 blob" "$salt" predict --weights "$work/model8.bin" --images "$work/png3" --out "$work/pred8" \
    --threads 2 --submission "$work/sub8.csv"
contains "$work/out.txt" "3 masks in" "predict with a blob reports its masks"
for f in "$work"/pgm/*.pgm; do
    id="$(basename "$f" .pgm)"
    "$py" - "$work/pred8/$id.png" "$work/mask8-$id.pgm" <<'PY' || fail=1
import sys, cv2, numpy as np
a = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE)
b = cv2.imread(sys.argv[2], cv2.IMREAD_GRAYSCALE)
same = a is not None and b is not None and a.shape == b.shape and bool((a == b).all())
print(f"{'ok' if same else 'FAIL'}: salt predict's int8 mask {sys.argv[1]} equals the int8 example's"
      f" ({int((b > 0).sum()) if b is not None else -1} salt pixels)")
sys.exit(0 if same else 1)
PY
done
salt8="$("$py" -c "import sys, cv2; print(sum(int((cv2.imread(f, cv2.IMREAD_GRAYSCALE) > 0).sum()) for f in sys.argv[1:]))" "$work"/pred8/*.png)"
if [ "$salt8" -gt 0 ]; then echo "ok: the int8 masks compared hold $salt8 salt pixels"
else echo "FAIL: the int8 masks compared are all empty (the comparison would say nothing)"; fail=1; fi
"$py" - "$work/data/train/images" "$work/big" <<'PY' || { echo "FAIL: big PNG"; fail=1; }
import os, sys, cv2, numpy as np
os.makedirs(sys.argv[2], exist_ok=True)
cv2.imwrite(os.path.join(sys.argv[2], "big.png"), np.full((130, 140), 90, np.uint8))
PY
check 1 "predict: an image larger than the blob's model" "$salt" predict --weights "$work/model8.bin" --images "$work/big" \
    --out "$work/pred-big"
contains "$work/err.txt" "big.png: 140x130 is larger than the embedded model's 128x128 input" "predict names the oversized image"
check 2 "predict a blob on cuda" "$salt" predict --weights "$work/model8.bin" --images "$work/png3" --out "$work/pred-cuda" --device cuda
if grep -q "not built into this salt" "$work/err.txt"; then echo "ok: (this salt has no CUDA: refused before the blob is read)"
else contains "$work/err.txt" "runs on the CPU" "predict names the blob's device"; fi
# salt eval runs blobs through the embedded path: the fp32 blob scores as the trained weights do, at
# the median threshold so that masks are part salt (the two paths sum in another order, so a pixel
# within 1e-4 of the threshold may flip: 0.01 allowed), and the post-processing options edit the
# blob's settings.
check 0 "eval the trained weights" "$salt" eval --weights "$work/run/best.safetensors" --data "$work/data" --split all --json --quiet \
    --threshold "$median"
cp "$work/out.txt" "$work/eval-weights.json"
check 0 "eval the fp32 blob" "$salt" eval --weights "$work/model-saved.bin" --data "$work/data" --split all --json --quiet \
    --threshold "$median"
cp "$work/out.txt" "$work/eval-fp32.json"
check 0 "eval the int8 blob, threshold 0.3" "$salt" eval --weights "$work/model8.bin" --data "$work/data" \
    --split-file "$work/run/split.txt" --threshold 0.3 --json --quiet
cp "$work/out.txt" "$work/eval-int8.json"
"$py" - "$work/eval-weights.json" "$work/eval-fp32.json" "$work/eval-int8.json" <<'PY' || fail=1
import json, sys
w, f, q = (json.load(open(p)) for p in sys.argv[1:4])
ok = abs(w["map"] - f["map"]) <= 0.01 and abs(w["iou"] - f["iou"]) <= 0.01 and w["images"] == f["images"] == 8 and w["iou"] > 0
print(f"{'ok' if ok else 'FAIL'}: eval of the fp32 blob: mAP {f['map']:.4f} IoU {f['iou']:.4f}, of the weights: {w['map']:.4f} {w['iou']:.4f}")
ok8 = q["threshold"] == 0.3 and q["split"] == "val" and q["images"] >= 1
print(f"{'ok' if ok8 else 'FAIL'}: eval of the int8 blob at threshold {q['threshold']} on {q['images']} val image(s)")
sys.exit(0 if ok and ok8 else 1)
PY
check 2 "eval a blob on cuda" "$salt" eval --weights "$work/model8.bin" --data "$work/data" --device cuda --split all
if grep -q "not built into this salt" "$work/err.txt"; then echo "ok: (this salt has no CUDA: refused before the blob is read)"
else contains "$work/err.txt" "runs on the CPU" "eval names the blob's device"; fi
check 1 "eval a blob without a split file" "$salt" eval --weights "$work/model8.bin" --data "$work/data"
contains "$work/err.txt" "no split file" "eval names the missing split file"
check 1 "int8 demo: an fp32 blob" "$demo8" "$work/model-saved.bin" "$first" "$work/e7.pgm"
contains "$work/err.txt" "for the other precision" "int8 demo names the precision"
check 1 "fp32 demo: an int8 blob" "$demo" "$work/model8.bin" "$first" "$work/e8.pgm"
contains "$work/err.txt" "for the other precision" "fp32 demo names the precision"
check 1 "quantize: no split file" "$salt" quantize --weights "$work/run/best.safetensors" --data "$work/data" --out "$work/q.bin" \
    --split-file "$work/none.txt"
contains "$work/err.txt" "none.txt: no split file" "missing split file named"
check 2 "quantize: zero calibration images" "$salt" quantize --weights "$work/run/best.safetensors" --data "$work/data" \
    --out "$work/q.bin" --calibration-images 0
check 2 "quantize without --out" "$salt" quantize --weights "$work/run/best.safetensors" --data "$work/data"
check 1 "quantize: unwritable output" "$salt" quantize --weights "$work/run/best.safetensors" --data "$work/data" \
    --out "$work/no/dir/q.bin" --quiet
check 0 "train a DeepLabV3+ (which the embedded path does not run)" "$salt" train --data "$work/data" --out "$work/run-v3p" \
    --epochs 1 --max-steps 1 --batch 4 --decoder deeplabv3plus --quiet
check 1 "quantize: a DeepLabV3+" "$salt" quantize --weights "$work/run-v3p/best.safetensors" --data "$work/data" --out "$work/q.bin"
contains "$work/err.txt" "DeepLabV3+" "unsupported configuration named"
for e in e7 e8; do [ -e "$work/$e.pgm" ] && { echo "FAIL: $e.pgm written"; fail=1; }; done
[ -e "$work/q.bin" ] && { echo "FAIL: q.bin written"; fail=1; }
check 1 "export-embedded: missing weights" "$salt" export-embedded --weights "$work/none.safetensors" --out "$work/x.bin"
check 1 "export-embedded: unwritable output" "$salt" export-embedded --weights "$work/run/best.safetensors" --out "$work/no/dir/x.bin"
check 2 "export-embedded without --out" "$salt" export-embedded --weights "$work/run/best.safetensors"
[ -e "$work/x.bin" ] && { echo "FAIL: x.bin written"; fail=1; }
exit $fail
