// salt info [--size N] [--channels C] [--output-stride S] [architecture] [--list] [--backends] [--device D]:
// the layer table of a compiled DeepLabV3 — torchvision's module paths, output shapes, parameters — with the
// totals and the workspace a forward pass (batch 1) and a training step (batch 8) need; then the
// backends built into this salt and the CUDA devices found. --backends prints only the latter;
// --device cuda[:N] also opens that device and fails (exit 1, one line) when it cannot be used.
#include <cstdio>
#include <stdexcept>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "devices.hpp"
#include "model_options.hpp"
#include "run_options.hpp"

namespace salt::cli {

Args info_args() {
    Args a("info", "Print the layers, parameter count and memory of a compiled DeepLabV3-ResNet50, and the backends "
                   "and CUDA devices this salt can use.");
    // The defaults describe the model salt train trains by default (models::kTrainDefault).
    a.option("size", "N", "input height and width", std::to_string(models::kTrainDefault.height));
    a.option("channels", "C", "input channels", std::to_string(models::kTrainDefault.in_channels));
    a.option("output-stride", "S", "output stride, 8 or 16", std::to_string(models::kTrainDefault.output_stride));
    Architecture default_architecture;
    default_architecture.classifier = models::kTrainDefault.classification_head;
    add_architecture_options(a, default_architecture);
    a.flag("list", "list the compiled configurations (and the backends each is compiled for)");
    a.flag("backends", "print only the backends and the CUDA devices");
    a.option("device", "DEV", "also check that this device (cpu, cuda, cuda:N) can be opened", "cpu");
    return a;
}

int cmd_info(int argc, char** argv) {
    Args a = info_args();
    a.parse(argc, argv);
    const int size = int(a.get_int("size", 1, 4096));
    const int channels = int(a.get_int("channels", 1, 16));
    const int os = int(a.get_int("output-stride", 1, 64));
    RunOptions ro;
    parse_device(a.get("device"), ro);
    if (a.has("list")) {
        std::printf("compiled configurations (salt train --size --depth-channel --output-stride --encoder --decoder --rates --classifier):\n");
        for (const auto& m : compiled_models())
            std::printf("  %-4s %s\n", m->device() == DeviceKind::cuda ? "cuda" : "cpu", config_name(m->config()).c_str());
        return 0;
    }
    if (!a.has("backends")) {
        const Architecture arch = architecture_from([&](const char* k) { return a.get(k); });
        const CompiledModel& m = find_model_for(size, size, channels, os, arch, DeviceKind::cpu);
        m.print_summary(stdout);
        const EmbeddedFootprint f = m.embedded_footprint();
        if (f.unsupported) std::printf("embedded inference (salt/embedded): not available: %s\n", f.unsupported);
        else
            std::printf("embedded inference (salt/embedded, fp32, no heap): arena %zu bytes (%.1f MiB) = folded weights %zu + "
                        "activations %zu; blob (salt export-embedded) %zu bytes\n",
                        f.arena_bytes, double(f.arena_bytes) / (1 << 20), f.weights_bytes, f.activation_bytes, f.blob_bytes);
        if (!f.unsupported) {
            const EmbeddedFootprint q = m.embedded_footprint(true);
            std::printf("embedded inference (salt/embedded, int8, no heap): arena %zu bytes (%.1f MiB) = weights %zu + "
                        "activations %zu; blob (salt quantize) %zu bytes\n",
                        q.arena_bytes, double(q.arena_bytes) / (1 << 20), q.weights_bytes, q.activation_bytes, q.blob_bytes);
        }
        std::printf("\n");
    }
    print_backends(stdout);
    std::fflush(stdout);
    if (ro.device == DeviceKind::cuda) {
        check_device(ro);
        std::printf("--device %s: usable (%s)\n", ro.device_spec.c_str(), device_summary(ro).c_str());
    }
    return 0;
}

}  // namespace salt::cli
