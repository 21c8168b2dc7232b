// examples/salt/devices.hpp — the backends built into the salt command and the devices they find:
// `--device cpu | cuda[:N]` parsing support, the check that a chosen CUDA device is usable, and
// the lines `salt info` and `salt --help` print. Everything here is plain C++; the CUDA parts are
// compiled only in builds with SALT_CUDA (SALT_CLI_CUDA=1), and report "not built" otherwise.
#pragma once

#include <cstdio>
#include <string>

#include "compiled_model.hpp"

namespace salt::cli {

// Whether this salt was built with the CUDA backend.
bool cuda_built();

// Throws std::runtime_error with one line ("--device cuda:1: ...", the CUDA backend's own reason:
// no driver, no device, no such index) when the device `ro` names cannot be opened; nothing for the
// CPU. Commands call it before they write anything, so a failed request leaves no half-made run.
void check_device(const RunOptions& ro);

// "cpu, 2 threads" / "cuda:0 (NVIDIA H200), TF32 off": the device a run uses, for progress lines.
std::string device_summary(const RunOptions& ro);

// The "backends" section of `salt info`: the CPU backend, the CUDA backend (built or not, its
// runtime and cuDNN, its configurations) and the CUDA devices found — or, on one line, "no CUDA
// driver/device" with the runtime's reason.
void print_backends(std::FILE* out);

}  // namespace salt::cli
