# Shared by the tests/cli/*.sh scripts (sourced, not run): each script starts with
# `cli_start SALT WORK` (or sets `work`, its scratch directory, and `fail=0` itself), then checks with
# these; it exits with $fail.

# check <expected exit> <description> <command...>: runs the command, stdout/stderr into
# $work/out.txt and $work/err.txt, and compares its exit code.
check() {
    local want="$1" what="$2"
    shift 2
    "$@" > "$work/out.txt" 2> "$work/err.txt"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"
        sed 's/^/    /' "$work/err.txt" | tail -8
        fail=1
    else
        echo "ok: $what"
    fi
}
# contains <file> <text> <description>
contains() {
    if grep -q -- "$2" "$1"; then echo "ok: $3"; else echo "FAIL: $3 ('$2' not in $1)"; sed 's/^/    /' "$1" | tail -8; fail=1; fi
}
# lacks <file> <text> <description>
lacks() {
    if grep -q -- "$2" "$1"; then echo "FAIL: $3 ('$2' in $1)"; fail=1; else echo "ok: $3"; fi
}
# skip_without_cuda <salt> <scratch dir>: exit 77 (CTest's skip) when no usable CUDA device exists,
# exit 1 when probing fails for another reason; returns when a device can be opened.
skip_without_cuda() {
    if ! "$1" info --backends --device cuda > "$2/probe.txt" 2>&1; then
        if grep -q "no CUDA device\|no CUDA driver/device" "$2/probe.txt"; then
            echo "SKIPPED: no usable CUDA device:"; tail -n1 "$2/probe.txt"
            exit 77
        fi
        echo "FAIL: salt info --device cuda:"; cat "$2/probe.txt"
        exit 1
    fi
}

# cli_start <salt binary> <scratch dir>: sets $salt and $work (emptied and created) and fail=0.
cli_start() {
    salt="$1"
    work="$2"
    rm -rf "$work"
    mkdir -p "$work"
    fail=0
}
