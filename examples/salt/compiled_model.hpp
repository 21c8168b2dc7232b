// examples/salt/compiled_model.hpp — the set of DeepLabV3 configurations compiled into the `salt`
// command, behind one small interface.
//
// Shapes are compile-time in salt, so a program carries a fixed, documented list of configurations
// (input size, channels, output stride). Each lives in its own translation unit under models/ so
// they build in parallel and no TU holds more than one network. Asking for a configuration that is
// not compiled in is an error that lists the ones that are.
//
// Every configuration is compiled for the CPU backend (backend::Simd). Builds with SALT_CUDA also
// compile a few for the CUDA backend (backend::Cuda; models/cuda_*.cpp, ordinary C++ linking
// salt::cuda): the training configurations at 128x128 (see compiled_model.cpp). `--device` picks
// which of the two a command runs.
#pragma once

#include <array>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "salt/data/tgs.hpp"
#include "salt/io/image.hpp"
#include "salt/io/safetensors.hpp"
#include "salt/models/deeplabv3.hpp"
#include "salt/train/postprocess.hpp"
#include "salt/train/trainer.hpp"

namespace salt::cli {

// The backends a configuration can be compiled for (--device cpu | cuda[:N]).
enum class DeviceKind { cpu, cuda };

// The architecture beyond input size, channels and output stride, as `salt train` takes it
// (--encoder, --decoder, --rates, --classifier) and as weights metadata records it (salt.encoder,
// salt.decoder, salt.rates, salt.classification_head).
struct Architecture {
    std::string encoder = "resnet50";   // resnet18, resnet34, resnet50 or resnet101
    std::string decoder = "deeplabv3";  // deeplabv3 (torchvision's head) or deeplabv3plus
    std::array<int, 3> rates{12, 24, 36};
    bool classifier = false;            // the image-level salt / no-salt classifier on layer4
};

// The configuration these name; unknown names and bad rates are std::invalid_argument.
models::DeepLabV3Config make_config(int height, int width, int channels, int output_stride, const Architecture& arch);

// "12,24,36" -> {12, 24, 36}; anything else is std::invalid_argument.
std::array<int, 3> parse_rates(const std::string& text);

// What a CompiledModel::predict returns.
struct Predictions {
    std::vector<std::vector<float>> logits;  // per image, at the image's own size
    std::vector<double> image_probability;   // models with an image classifier: per image; otherwise empty
};

// Where and how a compiled model runs: the backend's device settings, chosen on the command line.
struct RunOptions {
    DeviceKind device = DeviceKind::cpu;
    std::string device_spec = "cpu";  // as given to --device, for messages
    int cuda_index = 0;   // cuda:N
    bool tf32 = false;    // CUDA: cuDNN may use TF32 tensor cores
    int threads = 0;      // CPU threads (0: OMP_NUM_THREADS or all cores)
    bool bf16 = false;    // CPU: bf16 matrix products (AVX512_BF16)
    bool winograd = false;  // CPU: 3x3 forward convs by Winograd F(2x2, 3x3) where it pays (fp32)
};

// What the embedded inference path (salt/embedded/) needs for a configuration: one arena of
// arena_bytes (folded weights + activations); unsupported is the reason when it cannot run it.
struct EmbeddedFootprint {
    std::size_t arena_bytes = 0, weights_bytes = 0, activation_bytes = 0, blob_bytes = 0;
    const char* unsupported = nullptr;
};

class CompiledModel {
public:
    virtual ~CompiledModel() = default;
    virtual models::DeepLabV3Config config() const = 0;
    // The backend this instantiation runs on.
    virtual DeviceKind device() const = 0;
    virtual void print_summary(std::FILE* out) const = 0;
    // Loads weights (torchvision names) and runs a forward pass on an NCHW batch; returns NCHW logits.
    // In train mode BN uses batch statistics (and dropout is off unless keep_dropout).
    virtual std::vector<float> forward_nchw(const io::SafetensorsFile& weights, const std::vector<float>& input,
                                            int batch, bool train_mode, const RunOptions& ro) const = 0;
    // Trains from scratch (or resumes) on a data set; see salt/train/trainer.hpp.
    virtual train::TrainResult train(const data::TgsDataset& ds, const train::TrainOptions& opt,
                                     const RunOptions& ro) const = 0;
    // Logits for each image (and, with a classifier, its salt probability), prepared as the weights' metadata says and mapped back to the image's
    // own size; `depths` may be empty when the model takes no depth channel. With `tta`, averaged
    // with the prediction on the mirrored image, mirrored back. `progress` is called with the
    // number of images done.
    virtual Predictions predict(const io::SafetensorsFile& weights, const std::vector<const io::Image8*>& images,
                                const std::vector<float>& depths, bool tta, const std::function<void(std::size_t)>& progress,
                                const RunOptions& ro) const = 0;
    // Seconds per call of a forward pass (eval) at `batch`, or of a training step, median of `reps`.
    virtual double time_forward(int batch, int reps, const RunOptions& ro) const = 0;
    virtual double time_train_step(int batch, int reps, const RunOptions& ro) const = 0;
    // The embedded path's memory for this configuration, and the blob it loads made from `weights`
    // with the given pre-/post-processing (salt/models/export_embedded.hpp); the latter throws
    // std::invalid_argument when the embedded path does not run the configuration.
    virtual EmbeddedFootprint embedded_footprint(bool int8 = false) const = 0;
    virtual std::vector<unsigned char> embedded_blob(const io::SafetensorsFile& weights, const train::PostProcess& post) const = 0;
    // The int8 blob quantised from an fp32 blob of this configuration, calibrated on `images`
    // (salt/models/quantize_embedded.hpp); throws std::invalid_argument.
    virtual std::vector<unsigned char> embedded_quantize(const std::vector<unsigned char>& fp32_blob,
                                                         const std::vector<const io::Image8*>& images) const = 0;
    // 0/1 masks of `images` from the embedded path running `blob` (fp32 or int8, as its header says),
    // exactly as its segment() makes them, its convolutions cut over `threads` OpenMP threads (0:
    // OpenMP's default; the masks do not depend on it); *seconds gets the time spent in segment().
    virtual std::vector<std::vector<std::uint8_t>> embedded_segment(const std::vector<unsigned char>& blob,
                                                                    const std::vector<const io::Image8*>& images,
                                                                    const std::function<void(std::size_t)>& progress,
                                                                    double* seconds, int threads) const = 0;
};

std::string config_name(const models::DeepLabV3Config& c);

// Every compiled configuration on every backend it is compiled for.
const std::vector<std::unique_ptr<CompiledModel>>& compiled_models();

// The configurations compiled for the CUDA backend, comma-separated ("" when none).
std::string cuda_configurations();

// The compiled model of exactly this configuration on `device`. A configuration that is not compiled
// at all is a std::invalid_argument whose message lists what is compiled in; one compiled for the
// CPU but not for CUDA is a UsageError that lists the CUDA configurations.
const CompiledModel& find_compiled_model(const models::DeepLabV3Config& wanted, DeviceKind device = DeviceKind::cpu);
// ... with torchvision's architecture (ResNet-50, DeepLabV3 head, rates 12/24/36, no classifier).
const CompiledModel& find_compiled_model(int height, int width, int channels, int output_stride,
                                         DeviceKind device = DeviceKind::cpu);

// The compiled model a weights file was trained with (from its salt.* metadata; files written before
// an architecture key existed get torchvision's choice for it), on `device`. Throws
// std::invalid_argument saying what is wrong; the caller names the file.
const CompiledModel& model_for_weights(const io::SafetensorsFile& weights, DeviceKind device = DeviceKind::cpu);

}  // namespace salt::cli
