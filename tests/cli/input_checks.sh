#!/usr/bin/env bash
# The salt command's handling of bad input (issue 14, part 4): integers are integers, numbers are
# finite and in range, --resume refuses options that would change the run, a bad --data or an
# unfinished run directory leaves nothing behind, predict never writes into its input and finds
# .PNG, progress is plain lines when stderr is not a terminal, bad weights metadata names the key
# and the file, and the help prints each default once.
# usage: input_checks.sh SALT_BINARY WORK_DIR
set -u
source "$(dirname "$0")/cli_lib.sh"
cli_start "$1" "$2"

check 0 "synth" "$salt" synth --out "$work/data" --count 24 --seed 3
# Not integers, out of range, not finite: usage errors (exit 2) naming the option and the value.
for bad in "--epochs 2.9" "--epochs 1e10" "--epochs 0" "--seed -1" "--batch 3.5" "--max-steps -1" "--patience x" \
           "--max-minutes -5" "--lr 0" "--lr nan" "--lr inf" "--val-fraction 1.5" "--warmup-epochs -1" \
           "--min-lr 0.5" "--size 128.0" "--output-stride 8x"; do
    # shellcheck disable=SC2086
    check 2 "train $bad" "$salt" train --data "$work/data" --out "$work/bad" $bad --quiet
    opt="${bad%% *}"
    contains "$work/err.txt" "${opt}" "train $bad: the message names $opt"
    [ -e "$work/bad" ] && { echo "FAIL: train $bad created $work/bad"; fail=1; rm -rf "$work/bad"; }
done
check 2 "train --epochs 2.9 again" "$salt" train --data "$work/data" --out "$work/bad" --epochs 2.9
contains "$work/err.txt" "must be an integer in \[1, 100000\], got '2.9'" "the message gives the range and quotes the value"
check 2 "synth --empty-fraction 40 (a fraction is 0-1)" "$salt" synth --out "$work/s2" --empty-fraction 40
check 2 "synth --seed -1" "$salt" synth --out "$work/s2" --seed -1

# A bad --data leaves no run directory; a non-empty --out or an unfinished run is not reused.
check 1 "train with a --data that does not exist" "$salt" train --data "$work/nothing-here" --out "$work/r-bad-data" --quiet
[ -e "$work/r-bad-data" ] && { echo "FAIL: a bad --data left $work/r-bad-data"; fail=1; } || echo "ok: a bad --data leaves nothing"
mkdir -p "$work/unfinished" && echo "seed=1" > "$work/unfinished/run.txt" && printf 'a\ttrain\n' > "$work/unfinished/split.txt"
check 1 "train into an unfinished run (run.txt, no checkpoint)" "$salt" train --data "$work/data" --out "$work/unfinished" --seed 2 --quiet
contains "$work/err.txt" "never finished an epoch" "the refusal says why"
mkdir -p "$work/full" && touch "$work/full/notes.txt"
check 1 "train into a non-empty directory" "$salt" train --data "$work/data" --out "$work/full" --quiet
contains "$work/err.txt" "is not empty" "the refusal says why"

# A short run (stderr is a file here, so progress comes as plain lines, never \r).
check 0 "train 1 epoch" "$salt" train --data "$work/data" --out "$work/run" --epochs 1 --max-steps 2 --batch 4 \
    --output-stride 16 --threads 1
if grep -q $'\r' "$work/err.txt"; then echo "FAIL: progress with \\r in a log"; fail=1; else echo "ok: no \\r in a log"; fi
contains "$work/err.txt" "^epoch 1/1 .* 2/2 " "the epoch's last progress line is a plain line"

# --resume: options that would change the run are refused and named; the same values and the
# options that may change are accepted.
check 2 "resume with a different --lr and --seed" "$salt" train --resume "$work/run" --epochs 2 --lr 0.01 --seed 5
contains "$work/err.txt" "--lr 0.01 (the run: 0.001)" "the conflict names --lr and the run's value"
contains "$work/err.txt" "--seed 5 (the run: 1)" "the conflict names --seed"
check 2 "resume with --adamw the run did not have" "$salt" train --resume "$work/run" --epochs 2 --adamw
contains "$work/err.txt" "--adamw (the run: without it)" "the conflict names the flag"
check 0 "resume with the run's own values (1e-3 = 0.001) and new --threads" "$salt" train --resume "$work/run" --epochs 2 \
    --lr 1e-3 --batch 4 --threads 1 --quiet
[ "$(grep -c '^[0-9]' "$work/run/log.csv")" = 2 ] && echo "ok: the run has 2 epochs" || { echo "FAIL: log.csv"; fail=1; }
grep -q '^patience=auto$' "$work/run/run.txt" && echo "ok: run.txt records --patience auto" || { echo "FAIL: run.txt patience"; fail=1; }
check 0 "resume with another --patience (it may change)" "$salt" train --resume "$work/run" --epochs 2 --patience 3 --quiet
cp "$work/run/run.txt" "$work/run.txt.good"
printf 'a damaged line\n' >> "$work/run/run.txt"
check 1 "resume a run whose run.txt has a line without '='" "$salt" train --resume "$work/run" --epochs 3 --quiet
contains "$work/err.txt" "run.txt:$(wc -l < "$work/run/run.txt"): expected key=value, found no '='" "the message names run.txt and the line"
cp "$work/run.txt.good" "$work/run/run.txt"
printf 'seed=2\n' >> "$work/run/run.txt"
check 1 "resume a run whose run.txt names a key twice" "$salt" train --resume "$work/run" --epochs 3 --quiet
contains "$work/err.txt" "the key 'seed' appears twice" "the message names the key"
cp "$work/run.txt.good" "$work/run/run.txt"
sed -i 's/^batch=4$/batch=four/' "$work/run/run.txt"
check 1 "resume a run whose run.txt has a bad value" "$salt" train --resume "$work/run" --epochs 3 --quiet
contains "$work/err.txt" "run.txt: batch must be an integer in \[2, 4096\], got 'four'" "the message names run.txt and the key"

# predict: never into its own input; finds .PNG; --quiet.
mkdir -p "$work/imgs"
cp "$(ls "$work/data/train/images/"*.png | head -1)" "$work/imgs/upper.PNG"
cp "$(ls "$work/data/train/images/"*.png | sed -n 2p)" "$work/imgs/lower.png"
check 2 "predict --out equal to --images" "$salt" predict --weights "$work/run/best.safetensors" --images "$work/imgs" \
    --out "$work/imgs/../imgs"
contains "$work/err.txt" "overwrite the images" "the refusal says why"
[ "$(ls "$work/imgs" | wc -l)" = 2 ] && echo "ok: the image directory is untouched" || { echo "FAIL: files were written into --images"; fail=1; }
check 0 "predict --quiet finds .PNG and .png" "$salt" predict --weights "$work/run/best.safetensors" --images "$work/imgs" \
    --out "$work/pred" --quiet
[ -f "$work/pred/upper.PNG" ] && [ -f "$work/pred/lower.png" ] && echo "ok: both masks written" || { echo "FAIL: masks"; ls "$work/pred"; fail=1; }
[ -s "$work/err.txt" ] && { echo "FAIL: predict --quiet wrote to stderr"; cat "$work/err.txt"; fail=1; } || echo "ok: --quiet is quiet"

# Bad weights metadata: the key and the file are named (exit 1), never "stoi" or a crash.
python_edit() {  # python_edit IN OUT KEY VALUE: a copy of a safetensors file with one metadata value replaced
    "${SALT_TEST_PYTHON:-/usr/bin/python3}" - "$@" <<'EOF'
import json, struct, sys
src, dst, key, value = sys.argv[1:5]
b = open(src, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
h['__metadata__'][key] = value
j = json.dumps(h).encode()
j += b' ' * ((8 - len(j) % 8) % 8)
open(dst, 'wb').write(struct.pack('<Q', len(j)) + j + b[8 + n:])
EOF
}
for kv in "salt.post.threshold 0,5" "salt.post.min_area 2.5" "salt.pre.mean abc" "salt.pre.size 128px" "salt.height x"; do
    set -- $kv
    python_edit "$work/run/best.safetensors" "$work/bad.safetensors" "$1" "$2"
    check 1 "predict with metadata $1=$2" "$salt" predict --weights "$work/bad.safetensors" --images "$work/imgs" --out "$work/p-bad"
    contains "$work/err.txt" "bad.safetensors" "the message names the file ($1)"
    contains "$work/err.txt" "$1" "the message names the key ($1)"
done

# Help: each default printed once; required options marked.
"$salt" train --help > "$work/help.txt"
if grep -q "default.*default" "$work/help.txt"; then echo "FAIL: a default printed twice"; grep "default.*default" "$work/help.txt"; fail=1
else echo "ok: no default printed twice"; fi
"$salt" predict --help > "$work/help.txt"
contains "$work/help.txt" "--weights FILE .*(required)" "predict marks --weights as required"

# A usage error is the message, the synopsis and a pointer to --help: three lines, not the option list.
check 2 "a usage error" "$salt" train --out "$work/short" --batch 1
contains "$work/err.txt" "^salt train: option '--batch' must be an integer" "the message comes first"
contains "$work/err.txt" "^usage: salt train " "then the synopsis"
contains "$work/err.txt" "^(salt train --help describes every option)" "then where the options are described"
[ "$(wc -l < "$work/err.txt")" = 3 ] && echo "ok: three lines" || { echo "FAIL: usage error of $(wc -l < "$work/err.txt") lines"; fail=1; }
exit $fail
