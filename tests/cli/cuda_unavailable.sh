#!/usr/bin/env bash
# Without a usable GPU, asking for one is one clear line on stderr and exit code 1, and nothing is
# written: salt train / bench / info --device cuda, and salt-bench-cuda. Where a CUDA device is
# present this path cannot be taken, and the test reports itself as skipped (exit 77); the `cuda`
# tests cover that machine.
# usage: cuda_unavailable.sh SALT_BINARY WORK_DIR [SALT_BENCH_CUDA]
set -u
salt="$1"
work="$2"
bench="${3:-}"
rm -rf "$work"
mkdir -p "$work"
if "$salt" info --backends | grep -q '^  cuda:0'; then
    echo "SKIPPED: this machine has a CUDA device, so the no-device path cannot be checked here"
    exit 77
fi
fail=0
# one_line_failure <description> <regex for the line> <command...>: exit 1, exactly one stderr line.
one_line_failure() {
    local what="$1" pattern="$2"
    shift 2
    "$@" > "$work/out.txt" 2> "$work/err.txt"
    local got=$? lines
    lines=$(wc -l < "$work/err.txt")
    if [ "$got" != 1 ]; then
        echo "FAIL: $what: exit $got, expected 1"; sed 's/^/    /' "$work/err.txt" | tail -5; fail=1
    elif [ "$lines" != 1 ]; then
        echo "FAIL: $what: $lines lines on stderr, expected one:"; sed 's/^/    /' "$work/err.txt"; fail=1
    elif ! grep -Eq -- "$pattern" "$work/err.txt"; then
        echo "FAIL: $what: the message does not match '$pattern':"; sed 's/^/    /' "$work/err.txt"; fail=1
    else
        echo "ok: $what: $(cat "$work/err.txt")"
    fi
}
reason='no CUDA device is available \(cuda[A-Za-z]+: .+\); the CUDA backend needs an NVIDIA GPU and its driver$'
one_line_failure "salt train --device cuda" "^salt train: error: --device cuda: $reason" \
    "$salt" train --device cuda --out "$work/run" --epochs 1 --synthetic-count 8
if [ -e "$work/run" ]; then echo "FAIL: the refused train created $work/run"; fail=1; else echo "ok: nothing written"; fi
one_line_failure "salt train --device cuda:1" "^salt train: error: --device cuda:1: $reason" \
    "$salt" train --device cuda:1 --out "$work/run" --epochs 1
one_line_failure "salt bench --device cuda" "^salt bench: error: --device cuda: $reason" "$salt" bench --device cuda
if "$salt" info --device cuda > "$work/out.txt" 2> "$work/err.txt"; then
    echo "FAIL: salt info --device cuda succeeded without a device"; fail=1
else
    one_line_failure "salt info --device cuda" "^salt info: error: --device cuda: $reason" "$salt" info --device cuda
    grep -q "no CUDA driver/device" "$work/out.txt" && echo "ok: salt info says there is no CUDA driver/device" ||
        { echo "FAIL: salt info does not say 'no CUDA driver/device'"; cat "$work/out.txt"; fail=1; }
fi
if [ -n "$bench" ] && [ -x "$bench" ]; then
    "$bench" > "$work/out.txt" 2> "$work/err.txt"
    got=$?
    if [ "$got" = 1 ] && grep -q "^salt-bench-cuda: no usable CUDA device" "$work/err.txt"; then
        echo "ok: salt-bench-cuda: exit 1, $(head -n1 "$work/err.txt")"
    else
        echo "FAIL: salt-bench-cuda: exit $got (expected 1 and 'no usable CUDA device')"; sed 's/^/    /' "$work/err.txt"; fail=1
    fi
    "$bench" --benchmark_list_tests=true > "$work/out.txt" 2>&1 && grep -q '^BM_DeepLabV3_TrainStep/batch:64/size:128/cuda$' "$work/out.txt" &&
        echo "ok: salt-bench-cuda lists its cases without a device" ||
        { echo "FAIL: salt-bench-cuda --benchmark_list_tests"; cat "$work/out.txt"; fail=1; }
else
    echo "note: no salt-bench-cuda at '${bench}' (not built), its check is left out"
fi
rm -rf "$work"
exit $fail
