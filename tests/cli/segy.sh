#!/usr/bin/env bash
# SEG-Y end to end (issue 15): `salt synth --segy` makes a training volume and a second, different
# test volume; `salt train` learns briefly from the first one's section tiles; `salt segy` predicts the
# second along both axes. Checked with segyio itself (Debian's python3-segyio) as the independent
# reader: the output keeps the input's geometry, textual header and every trace header, holds
# probabilities, and its mask beats both trivial guesses (no salt, all salt) on the truth volume by a
# clear margin. Then: a run killed after its first group of sections continues and ends bitwise equal
# to an uninterrupted one; a volume written by segyio in IBM floats is read; and bad volumes (truncated,
# smaller than one patch, a 2D line, pre-stack, unsupported sample format, unsorted) each give one error,
# exit 1 and no output file.
# usage: segy.sh SALT_BINARY WORK_DIR PYTHON
set -u
source "$(dirname "$0")/cli_lib.sh"
cli_start "$1" "$2"
py="${3:-/usr/bin/python3}"
if ! "$py" -c "import segyio, numpy" 2> "$work/py.txt"; then
    if [ "${CI:-}" = true ]; then echo "FAIL: CI=true and $py cannot import segyio and numpy:"; cat "$work/py.txt"; exit 1; fi
    echo "SKIPPED: $py cannot import segyio and numpy (apt install python3-segyio)"; cat "$work/py.txt"
    exit 77
fi

check 0 "synth --segy: a training volume" "$salt" synth --out "$work/train" --segy --inlines 112 --crosslines 112 --samples 112 --seed 1
contains "$work/out.txt" "tiles of its sections" "synth reports the tiles"
check 0 "synth --segy: a test volume (another seed, other extents)" "$salt" synth --out "$work/test" --segy \
    --inlines 101 --crosslines 104 --samples 101 --seed 2
check 0 "train on the training volume's tiles" "$salt" train --data "$work/train" --out "$work/run" --epochs 4 --batch 8 \
    --output-stride 16 --quiet
check 0 "segy --axis both with a mask" "$salt" segy --weights "$work/run/best.safetensors" --in "$work/test/volume.sgy" \
    --out "$work/pred.sgy" --axis both --mask-out "$work/mask.sgy" --npy-out "$work/pred.npy" --no-tta
contains "$work/out.txt" "salt segy: wrote" "segy reports what it wrote"
contains "$work/err.txt" "recorded with the weights" "segy clips at the percentile the weights record"
cat "$work/out.txt"

"$py" - "$work/test/volume.sgy" "$work/test/truth.sgy" "$work/pred.sgy" "$work/mask.sgy" "$work/pred.npy" \
    > "$work/check.txt" 2>&1 <<'EOF'
import sys, segyio, numpy as np
vol, truth, pred, mask, npy = sys.argv[1:6]
ok = True
def fail(msg):
    global ok
    ok = False
    print("FAIL:", msg)
with segyio.open(vol, ignore_geometry=False) as a, segyio.open(pred) as p, segyio.open(mask) as m, segyio.open(truth) as t:
    for name, f in (("prediction", p), ("mask", m)):
        if not (np.array_equal(a.ilines, f.ilines) and np.array_equal(a.xlines, f.xlines) and np.array_equal(a.samples, f.samples)):
            fail(name + ": geometry differs from the input's")
        if a.sorting != f.sorting:
            fail(name + ": sorting differs")
        if bytes(a.text[0]) != bytes(f.text[0]):
            fail(name + ": textual header differs")
        if f.bin[segyio.BinField.Format] != 5:
            fail(name + ": sample format %d, expected 5 (IEEE float)" % f.bin[segyio.BinField.Format])
        for k in (segyio.BinField.Interval, segyio.BinField.Samples):
            if a.bin[k] != f.bin[k]:
                fail(name + ": binary header field %s differs" % k)
        for i in range(a.tracecount):
            if bytes(a.header[i].buf) != bytes(f.header[i].buf):
                fail(name + ": trace header %d differs" % i)
                break
    P = segyio.tools.cube(p)
    M = segyio.tools.cube(m)
    T = segyio.tools.cube(t) > 0.5
    if not (np.isfinite(P).all() and P.min() >= 0 and P.max() <= 1):
        fail("probabilities outside [0, 1]: min %g max %g" % (P.min(), P.max()))
    A = np.load(npy)
    if A.dtype != np.float32 or A.shape != P.shape or not np.array_equal(A, P):
        fail("the NPY array (%s %s) is not the probability volume (float32 %s)" % (A.dtype, A.shape, P.shape))
    if not set(np.unique(M)) <= {0.0, 1.0}:
        fail("mask values other than 0 and 1")
    Mb = M > 0.5
    iou = (Mb & T).sum() / max(1, (Mb | T).sum())
    all_salt = T.mean()  # IoU of predicting salt everywhere; predicting none scores 0
    print("IoU %.3f against the truth; all-salt guess %.3f, no-salt guess 0; salt predicted in %.1f%% of samples, true %.1f%%"
          % (iou, all_salt, 100 * Mb.mean(), 100 * T.mean()))
    if not iou > all_salt + 0.15:
        fail("IoU %.3f is not clearly above the all-salt guess %.3f" % (iou, all_salt))
print("ok" if ok else "FAILED")
sys.exit(0 if ok else 1)
EOF
if [ $? = 0 ]; then echo "ok: segyio reads the output: geometry, headers, probabilities and mask"; cat "$work/check.txt"
else echo "FAIL: the segyio check:"; sed 's/^/    /' "$work/check.txt"; fail=1; fi

# Interrupted and continued: kill -9 once the first group of sections is recorded, run again.
check 0 "an uninterrupted inline run" "$salt" segy --weights "$work/run/best.safetensors" --in "$work/test/volume.sgy" \
    --out "$work/ref.sgy" --axis inline --no-tta --quiet
"$salt" segy --weights "$work/run/best.safetensors" --in "$work/test/volume.sgy" --out "$work/int.sgy" --axis inline \
    --no-tta --quiet > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    [ -f "$work/int.sgy.progress" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
done
if kill -9 "$pid" 2> /dev/null; then
    wait "$pid" 2> /dev/null
    [ -f "$work/int.sgy" ] && { echo "FAIL: the killed run left $work/int.sgy"; fail=1; } || echo "ok: a killed run leaves no output file"
    contains "$work/int.sgy.progress" "pass0=" "the progress file records the sections done"
    check 0 "the same command continues" "$salt" segy --weights "$work/run/best.safetensors" --in "$work/test/volume.sgy" \
        --out "$work/int.sgy" --axis inline --no-tta
    contains "$work/err.txt" "continuing an interrupted run" "it says it continues"
    cmp -s "$work/ref.sgy" "$work/int.sgy" && echo "ok: the continued volume is bitwise the uninterrupted one" ||
        { echo "FAIL: the continued volume differs from the uninterrupted one"; fail=1; }
    [ -z "$(ls "$work" | grep 'int.sgy.p')" ] && echo "ok: no partial or progress file left" || { echo "FAIL: left: $(ls "$work" | grep 'int.sgy.p')"; fail=1; }
else
    echo "FAIL: the run ended before it could be killed (no progress file seen)"; fail=1
fi

# Volumes written by segyio itself: IBM floats (format 1) are read; bad ones are refused.
"$py" - "$work" > "$work/make.txt" 2>&1 <<'EOF'
import sys, os, segyio, numpy as np
w = sys.argv[1]
def make(path, ni, nx, ns, fmt=1, offsets=(1,)):
    spec = segyio.spec()
    spec.sorting = 2
    spec.format = fmt
    spec.samples = list(range(ns))
    spec.ilines = list(range(1, ni + 1))
    spec.xlines = list(range(1, nx + 1))
    spec.offsets = list(offsets)
    rng = np.random.default_rng(5)
    with segyio.create(path, spec) as f:
        tr = 0
        for il in spec.ilines:
            for xl in spec.xlines:
                for off in spec.offsets:
                    f.header[tr] = {segyio.su.iline: il, segyio.su.xline: xl, segyio.su.offset: off}
                    f.trace[tr] = rng.standard_normal(ns).astype(np.float32)
                    tr += 1
make(os.path.join(w, "ibm.sgy"), 101, 102, 101)
make(os.path.join(w, "small.sgy"), 50, 50, 50)
make(os.path.join(w, "prestack.sgy"), 4, 4, 110, offsets=(1, 2))
make(os.path.join(w, "line2d.sgy"), 1, 120, 110)
data = open(os.path.join(w, "ibm.sgy"), "rb").read()
open(os.path.join(w, "truncated.sgy"), "wb").write(data[:len(data) - 1000])
# Sample format code 4 (fixed point with gain, obsolete): binary header bytes 3225-3226, big-endian.
open(os.path.join(w, "format4.sgy"), "wb").write(data[:3224] + (4).to_bytes(2, "big") + data[3226:])
# The first two traces' crossline numbers swapped: 2, 1, 3, 4, ...
make(os.path.join(w, "unsorted.sgy"), 101, 102, 101)
with segyio.open(os.path.join(w, "unsorted.sgy"), "r+", ignore_geometry=True) as f:
    f.header[0] = {segyio.su.xline: 2}
    f.header[1] = {segyio.su.xline: 1}
EOF
[ $? = 0 ] || { echo "FAIL: making volumes with segyio:"; cat "$work/make.txt"; fail=1; }
check 0 "segy reads segyio's IBM-float volume" "$salt" segy --weights "$work/run/best.safetensors" --in "$work/ibm.sgy" \
    --out "$work/ibm-pred.sgy" --no-tta --quiet
bad() {  # bad <name> <expected text> <description>
    check 1 "$3" "$salt" segy --weights "$work/run/best.safetensors" --in "$work/$1.sgy" --out "$work/$1-pred.sgy" --quiet
    contains "$work/err.txt" "$2" "$3: says why"
    [ "$(grep -c . "$work/err.txt")" = 1 ] && echo "ok: $3: one line" || { echo "FAIL: $3: not one line"; fail=1; }
    [ -z "$(ls "$work" | grep "^$1-pred")" ] && echo "ok: $3: no output file" || { echo "FAIL: $3: output left"; fail=1; }
}
bad truncated "truncated or malformed" "a truncated volume"
bad small "smaller than one 101x101 patch" "a volume smaller than one patch"
bad prestack "pre-stack data" "a pre-stack volume (two offsets per trace position)"
bad line2d "a 2D line" "a 2D line"
bad format4 "unsupported sample format code 4" "an unsupported sample format"
bad unsorted "unsorted geometry" "an unsorted volume"
check 2 "--out equal to --in is refused" "$salt" segy --weights "$work/run/best.safetensors" --in "$work/ibm.sgy" --out "$work/ibm.sgy"
check 2 "a bad --axis is refused" "$salt" segy --weights "$work/run/best.safetensors" --in "$work/ibm.sgy" --out "$work/x.sgy" --axis depth
exit $fail
