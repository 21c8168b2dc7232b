// The backends built into the salt command (devices.hpp).
#include "devices.hpp"

#include <omp.h>

#include <sstream>
#include <stdexcept>
#include <vector>

#include "salt/backend/simd/device.hpp"

#ifndef SALT_CLI_CUDA
#define SALT_CLI_CUDA 0  // examples/CMakeLists.txt sets it to 1 when the tool links salt::cuda
#endif
#if SALT_CLI_CUDA
#include "salt/backend/cuda/cuda.hpp"
#endif

namespace salt::cli {

namespace {

#if SALT_CLI_CUDA
// describe_devices() in lines: "CUDA runtime X, driver Y, cuDNN Z", then one per device
// ("device N: name, compute capability, memory") or one saying why there is none.
std::vector<std::string> cuda_description_lines() {
    std::vector<std::string> lines;
    std::istringstream in(backend::cuda::describe_devices());
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

// The backend's messages start with "salt cuda: "; the command's own prefix replaces it.
std::string without_backend_prefix(std::string m) {
    const std::string prefix = "salt cuda: ";
    if (m.rfind(prefix, 0) == 0) m.erase(0, prefix.size());
    return m;
}
#endif

}  // namespace

bool cuda_built() { return SALT_CLI_CUDA != 0; }

void check_device(const RunOptions& ro) {
    if (ro.device != DeviceKind::cuda) return;
#if SALT_CLI_CUDA
    try {
        // Opening the device is the whole check (driver, device index, stream, cuDNN handle); the
        // model opens its own afterwards.
        backend::cuda::Device probe(backend::cuda::Options{.device = ro.cuda_index, .tf32 = ro.tf32});
    } catch (const std::exception& e) {
        throw std::runtime_error("--device " + ro.device_spec + ": " + without_backend_prefix(e.what()));
    }
#else
    // run_options() rejects --device cuda in a build without CUDA, so this is not reached.
    throw std::logic_error("--device cuda in a salt built without CUDA");
#endif
}

std::string device_summary(const RunOptions& ro) {
    if (ro.device == DeviceKind::cpu)
        return "cpu, " + std::to_string(ro.threads > 0 ? ro.threads : omp_get_max_threads()) + " threads" +
               (ro.bf16 ? ", bf16 GEMMs" : "") + (ro.winograd ? ", Winograd 3x3" : "");
    std::string name;
#if SALT_CLI_CUDA
    const std::string key = "device " + std::to_string(ro.cuda_index) + ": ";
    for (const auto& line : cuda_description_lines())
        if (line.rfind(key, 0) == 0) name = " (" + line.substr(key.size(), line.find(',') - key.size()) + ")";
#endif
    return "cuda:" + std::to_string(ro.cuda_index) + name + (ro.tf32 ? ", TF32 convolutions" : ", fp32 (TF32 off)");
}

void print_backends(std::FILE* out) {
    std::fprintf(out, "backends built into this salt (--device):\n");
    std::fprintf(out, "  cpu     simd (xsimd + OpenMP), %d threads, bf16 GEMMs (--bf16): %s; every configuration\n",
                 omp_get_max_threads(), backend::simd::Device::bf16_available() ? "yes" : "no");
#if SALT_CLI_CUDA
    const auto lines = cuda_description_lines();
    std::fprintf(out, "  cuda    %s; configurations: %s\n", lines.empty() ? "CUDA" : lines[0].c_str(),
                 cuda_configurations().c_str());
    std::fprintf(out, "CUDA devices:\n");
    if (backend::cuda::device_count() == 0) {
        // The runtime's reason is the description's last line ("no CUDA device: <error>: <text>").
        std::string why = lines.size() > 1 ? lines.back() : std::string();
        const std::string prefix = "no CUDA device: ";
        if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
        else if (why.rfind("no CUDA device", 0) == 0) why.clear();
        std::fprintf(out, "  no CUDA driver/device%s%s\n", why.empty() ? "" : ": ", why.c_str());
    } else {
        for (std::size_t i = 1; i < lines.size(); ++i) {
            std::string line = lines[i];
            if (line.rfind("device ", 0) == 0) line = "cuda:" + line.substr(7);  // as --device spells it
            std::fprintf(out, "  %s\n", line.c_str());
        }
    }
#else
    std::fprintf(out, "  cuda    not built (configure with -DSALT_CUDA=ON; needs the CUDA toolkit and cuDNN 9)\n");
#endif
}

}  // namespace salt::cli
