#!/usr/bin/env bash
# Builds one libFuzzer harness (tests/fuzz/fuzz_<NAME>.cpp) with Debian's clang, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs it for SECONDS on a corpus seeded from tests/fuzz/seeds/<NAME>
# and the test fixtures. Fails on any crash, sanitizer report, leak, timeout (10 s per input) or an
# input that makes the parser allocate more than 1 GiB (-malloc_limit_mb: the stated memory cap).
# Prints the number of executions reached.
# usage: tests/fuzz/run.sh NAME SECONDS WORK_DIR [RUNS]   (stops at SECONDS or after RUNS executions)
# SALT_FUZZ_MAX_LEN (default 262144 bytes) caps the input size: the long runs use a smaller cap for the
# slow harnesses, because a few 100 KB inputs dominate the time while every header and chunk
# structure these parsers read fits in a few KB (the large-input cases are unit tests).
# Without clang's libFuzzer the test reports itself skipped (exit 77), except under CI=true.
set -u
name="$1"
seconds="$2"
work="$3"
runs_limit="${4:--1}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$work/corpus-$name"
bin="$work/fuzz_$name"

cxx="${SALT_FUZZ_CXX:-clang++}"
if ! command -v "$cxx" > /dev/null ||
   ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
     "$cxx" -x c++ -fsanitize=fuzzer - -o "$work/probe" 2> "$work/probe.txt"; then
    if [ "${CI:-}" = true ]; then echo "FAIL: CI=true and $cxx with libFuzzer is not available:"; cat "$work/probe.txt"; exit 1; fi
    echo "SKIPPED: $cxx with libFuzzer is not available (apt install clang)"; exit 77
fi
if [ ! -x "$bin" ] || [ "$here/fuzz_$name.cpp" -nt "$bin" ] || [ -n "$(find "$root/include" -newer "$bin" -name '*.hpp' | head -1)" ]; then
    "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I"$root/include" "$here/fuzz_$name.cpp" -o "$bin" || { echo "FAIL: building fuzz_$name"; exit 1; }
fi

# Seeds: the harness's own, plus real files of its format from the fixtures.
seeds=("$here/seeds/$name")
case "$name" in
    safetensors) seeds+=("$root/tests/fixtures/io_formats" "$root/tests/fixtures/train") ;;
    npy) seeds+=("$root/tests/fixtures/io_formats") ;;
esac
seed_dirs=()
for d in "${seeds[@]}"; do [ -d "$d" ] && seed_dirs+=("$d"); done

log="$work/fuzz_$name.log"
started=$SECONDS
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    "$bin" -artifact_prefix="$work/$name-" -max_total_time="$seconds" -runs="$runs_limit" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len="${SALT_FUZZ_MAX_LEN:-262144}" \
    -print_final_stats=1 "$work/corpus-$name" "${seed_dirs[@]}" > "$log" 2>&1
rc=$?
runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')"
echo "fuzz_$name: ${runs:-?} executions in $((SECONDS - started)) s, exit $rc (log: $log)"
if [ "$rc" != 0 ]; then
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20
    exit 1
fi
exit 0
