// salt info [--size N] [--channels C] [--output-stride S]: the layer table of a compiled
// DeepLabV3-ResNet50 — torchvision's module paths, output shapes, parameters — with the totals and
// the workspace a forward pass (batch 1) and a training step (batch 8) need.
#include <cstdio>
#include <stdexcept>

#include "commands.hpp"
#include "compiled_model.hpp"

namespace salt::cli {

Args info_args() {
    Args a("info", "Print the layers, parameter count and memory of a compiled DeepLabV3-ResNet50.");
    a.option("size", "N", "input height and width", "128");
    a.option("channels", "C", "input channels", "1");
    a.option("output-stride", "S", "output stride, 8 or 16", "8");
    return a;
}

int cmd_info(int argc, char** argv) {
    Args a = info_args();
    a.parse(argc, argv);
    const int size = int(a.get_int("size", 1, 4096));
    const int channels = int(a.get_int("channels", 1, 16));
    const int os = int(a.get_int("output-stride", 1, 64));
    try {
        find_compiled_model(size, size, channels, os).print_summary(stdout);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    return 0;
}

}  // namespace salt::cli
