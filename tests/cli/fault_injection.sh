#!/usr/bin/env bash
# Fault injection through the salt command (issue 14, part 3): a full disk (a small tmpfs) and a
# read-only output directory (a read-only tmpfs) while train writes checkpoints and weights, predict
# writes masks and a submission, and show writes a picture. Each must fail with one clear error
# (exit 1), leave no partial or temporary file, and keep the previous checkpoint intact.
# Needs mount(2) (root with CAP_SYS_ADMIN): without it the test reports itself skipped (exit 77),
# except under CI=true, where it fails.
# usage: fault_injection.sh SALT_BINARY WORK_DIR
set -u
source "$(dirname "$0")/cli_lib.sh"
cli_start "$1" "$2"
mkdir -p "$work/full" "$work/ro"
cleanup() { umount "$work/full" 2> /dev/null; umount "$work/ro" 2> /dev/null; }
trap cleanup EXIT

if ! mount -t tmpfs -o size=4m tmpfs "$work/full" 2> "$work/mount.txt" ||
   ! mount -t tmpfs -o size=1m,ro tmpfs "$work/ro" 2>> "$work/mount.txt"; then
    if [ "${CI:-}" = true ]; then echo "FAIL: CI=true and tmpfs cannot be mounted:"; cat "$work/mount.txt"; exit 1; fi
    echo "SKIPPED: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN):"; cat "$work/mount.txt"
    exit 77
fi

# No temporary or partial files anywhere under a directory.
no_leftovers() {
    local left
    left="$(find "$1" -name '*.tmp-*' 2> /dev/null)"
    if [ -n "$left" ]; then echo "FAIL: $2: temporary files left: $left"; fail=1; else echo "ok: $2: no temporary files"; fi
}
one_error_line() {  # the message is one line naming the file and the reason
    if [ "$(grep -c . "$work/err.txt")" = 1 ] && grep -q "$1" "$work/err.txt"; then echo "ok: $2: one line, names $1"
    else echo "FAIL: $2: expected one line naming $1:"; sed 's/^/    /' "$work/err.txt"; fail=1; fi
}

check 0 "synth" "$salt" synth --out "$work/data" --count 16 --seed 4
check 0 "a run to predict with" "$salt" train --data "$work/data" --out "$work/run" --epochs 1 --max-steps 1 --batch 4 \
    --output-stride 16 --threads 1 --quiet

# Fills a mounted tmpfs to the last block, so the next write fails with ENOSPC.
fill() { dd if=/dev/zero of="$1/filler" bs=4k > /dev/null 2>&1; sync; }

# train: a full disk / a read-only one from the first file on.
fill "$work/full"
check 1 "train --out on a full disk" "$salt" train --data "$work/data" --out "$work/full/run" --epochs 1 --max-steps 1 \
    --batch 4 --output-stride 16 --threads 1 --quiet
one_error_line "No space left on device" "train on a full disk"
no_leftovers "$work/full" "train on a full disk"
[ -z "$(ls -A "$work/full/run" 2> /dev/null)" ] && echo "ok: no file in the run directory" || { echo "FAIL: files left:"; ls -la "$work/full/run"; fail=1; }
check 1 "train --out on a read-only disk" "$salt" train --data "$work/data" --out "$work/ro/run" --epochs 1 --max-steps 1 \
    --batch 4 --output-stride 16 --threads 1 --quiet
one_error_line "Read-only file system" "train on a read-only disk"

# The second epoch's files do not fit (the first epoch's do): the run stops with one error, and the
# first checkpoint is intact: the run resumes from it (copied off the small disk) and finishes.
ckpt_mb=$(( ($(stat -c %s "$work/run/last.ckpt") + $(stat -c %s "$work/run/best.safetensors")) / 1048576 + 40 ))
mkdir -p "$work/fits-once"
mount -t tmpfs -o size=${ckpt_mb}m tmpfs "$work/fits-once" || { echo "FAIL: mount"; exit 1; }
trap 'cleanup; umount "$work/fits-once" 2> /dev/null' EXIT
check 1 "train until the disk fills in the second epoch" "$salt" train --data "$work/data" --out "$work/fits-once/run" \
    --epochs 2 --max-steps 1 --batch 4 --output-stride 16 --threads 1 --quiet
one_error_line "No space left on device" "the second epoch on a full disk"
no_leftovers "$work/fits-once" "the failed second epoch"
cp -r "$work/fits-once/run" "$work/moved-run"
umount "$work/fits-once"
check 0 "resume the stopped run from its first checkpoint" "$salt" train --resume "$work/moved-run" --threads 1 --quiet
[ "$(grep -c '^[0-9]' "$work/moved-run/log.csv")" = 2 ] && echo "ok: the resumed run has 2 epochs" ||
    { echo "FAIL: log.csv"; cat "$work/moved-run/log.csv"; fail=1; }

# predict: masks and the submission on a read-only and on a full disk.
check 1 "predict --out on a read-only disk" "$salt" predict --weights "$work/run/best.safetensors" \
    --images "$work/data/train/images" --out "$work/ro/pred" --quiet
one_error_line "Read-only file system" "predict on a read-only disk"
check 1 "predict --out on a full disk" "$salt" predict --weights "$work/run/best.safetensors" \
    --images "$work/data/train/images" --out "$work/full/pred" --submission "$work/full/sub.csv" --quiet
one_error_line "No space left on device" "predict on a full disk"
no_leftovers "$work/full" "predict on a full disk"
[ -e "$work/full/sub.csv" ] && { echo "FAIL: a submission was written though the masks failed"; fail=1; } || echo "ok: no submission"

# show: the picture on a read-only disk.
check 1 "show --out on a read-only disk" "$salt" show --data "$work/data" --out "$work/ro/grid.png" --count 4
one_error_line "Read-only file system" "show on a read-only disk"
exit $fail
