// salt forward --weights W --input X.npy --output Y.npy [--train-mode]: runs DeepLabV3-ResNet50 on an
// NCHW float32 batch (PyTorch's layout) and writes the NCHW float32 logits, so users can check salt
// against their own PyTorch models. The compiled configuration is picked from the input's shape and
// the weights (input channels from conv1, classes from the last conv, output stride from the file's
// metadata or --output-stride).
#include <cstdio>
#include <stdexcept>
#include <string>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "run_options.hpp"
#include "salt/io/error.hpp"
#include "salt/io/npy.hpp"
#include "salt/io/number.hpp"

namespace salt::cli {

Args forward_args() {
    Args a("forward", "Run the model on an NCHW float32 NPY batch and write the NCHW float32 logits.");
    a.required("weights", "FILE", "safetensors weights with torchvision's names");
    a.required("input", "FILE", "input batch, NPY float32 [N, C, H, W]");
    a.required("output", "FILE", "where to write the logits, NPY float32 [N, 1, H, W]");
    a.option("output-stride", "S", "8 or 16 (default: the weights' metadata, else 8)");
    a.flag("train-mode", "BatchNorm uses batch statistics (dropout stays off), as model.train() with p=0");
    add_run_options(a);
    return a;
}

int cmd_forward(int argc, char** argv) {
    Args a = forward_args();
    a.parse(argc, argv);
    const std::string weights_path = a.get("weights"), input_path = a.get("input"), output_path = a.get("output");
    const RunOptions ro = run_options(a);

    const io::NpyArray x = io::read_npy(input_path);
    if (x.shape.size() != 4)
        throw io::IoError(input_path, "expected a 4-D array [N, C, H, W], found " + std::to_string(x.shape.size()) + "-D");
    const int n = int(x.shape[0]), c = int(x.shape[1]), h = int(x.shape[2]), w = int(x.shape[3]);
    if (n < 1) throw io::IoError(input_path, "the batch is empty");

    const auto weights = io::SafetensorsFile::read(weights_path);
    const auto& conv1 = weights.at("backbone.conv1.weight");
    if (conv1.shape.size() != 4 || conv1.shape[1] != c)
        throw io::IoError(weights_path, "backbone.conv1.weight has shape " + io::shape_string(conv1.shape) +
                          ", which does not take the input's " + std::to_string(c) + " channel(s)");
    const auto& head = weights.at("classifier.4.weight");
    if (head.shape.empty() || head.shape[0] != 1)
        throw io::IoError(weights_path, "classifier.4.weight has shape " + io::shape_string(head.shape) +
                          "; the compiled models have 1 class");
    int os = 8;
    if (!a.get("output-stride").empty()) os = int(a.get_int("output-stride", 1, 64));
    else if (auto it = weights.metadata().find("salt.output_stride"); it != weights.metadata().end()) {
        const auto v = io::to_integer(it->second);
        if (!v || *v < 1 || *v > 64)
            throw io::IoError(weights_path, "metadata 'salt.output_stride' must be 8 or 16, got '" + it->second + "'");
        os = int(*v);
    }

    const CompiledModel* model = nullptr;
    try {
        model = &find_compiled_model(h, w, c, os, ro.device);
    } catch (const std::invalid_argument& e) {
        throw io::IoError(input_path, e.what());
    }
    check_device(ro);
    if (a.has("train-mode") && n == 1)
        throw io::IoError(input_path, "train mode needs a batch of at least 2 (BatchNorm in ASPP's pooling branch "
                          "sees one value per channel at batch 1, as in PyTorch)");
    std::fprintf(stderr, "salt forward: %s, batch %d, %s mode, %s\n", config_name(model->config()).c_str(), n,
                 a.has("train-mode") ? "train" : "eval", device_summary(ro).c_str());
    const auto y = model->forward_nchw(weights, x.to_float(), n, a.has("train-mode"), ro);
    const std::int64_t shape[4] = {n, 1, h, w};
    io::write_npy(output_path, std::span<const std::int64_t>(shape), std::span<const float>(y));
    return 0;
}

}  // namespace salt::cli
