# Shared by scripts/demo and scripts/test: install what is missing (Debian 12, as root), configure
# once, build incrementally. Sourced, not run.
set -euo pipefail
SALT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SALT_BUILD="${SALT_BUILD:-$SALT_ROOT/build}"
SALT_JOBS="${SALT_JOBS:-2}"

# The toolchain and libraries salt builds with; all from Debian's archive.
SALT_BUILD_PACKAGES=(cmake make g++ libeigen3-dev xtensor-dev libxsimd-dev catch2 libbenchmark-dev libstb-dev libsegyio-dev)
# What the tests compare against: PyTorch/torchvision (parity), OpenCV (resize parity), numpy; clang
# with libFuzzer and the sanitizers for the fuzz harnesses (tests/fuzz).
SALT_TEST_PACKAGES=(python3 python3-numpy python3-torch python3-torchvision python3-opencv clang libclang-rt-14-dev python3-segyio)

# The tests the sanitizer stage of a plain scripts/test (and so CI) runs; each is its own target.
SALT_SANITIZE_CI_TESTS=(test_png test_png_linkage test_csv_rle test_number test_io_safetensors test_io_npy
    test_resize test_tgs test_augment test_synth test_draw test_train_loss test_train_loss_gradcheck
    test_train_metadata test_train_optimizer test_train_schedule test_train_metrics test_tta ops_gradcheck
    ops_conformance ops_semantics ops_shape test_parity_small test_nn_gradcheck backend_ops
    test_model_backends device_emulation_guarded test_interop test_embedded)

salt_install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then return 0; fi
    echo "salt: installing missing packages: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

salt_configure_and_build() {
    if [ ! -f "$SALT_BUILD/CMakeCache.txt" ]; then
        echo "salt: configuring $SALT_BUILD"
        cmake -S "$SALT_ROOT" -B "$SALT_BUILD" -DCMAKE_BUILD_TYPE=Release "$@"
    fi
    echo "salt: building (-j$SALT_JOBS)"
    cmake --build "$SALT_BUILD" -j "$SALT_JOBS" ${SALT_TARGETS:+--target $SALT_TARGETS}
}
