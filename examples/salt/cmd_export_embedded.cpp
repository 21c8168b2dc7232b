// salt export-embedded --weights W --out FILE [post-processing]: packs trained weights into the blob
// the embedded inference path loads (salt/embedded/deeplabv3.hpp: no heap, no exceptions, one
// arena whose size `salt info` prints): BatchNorm folded into the convolutions, the configuration,
// the normalisation and the post-processing (as saved with the weights, or as the options say)
// in its header. The file is written atomically.
#include <cstdio>
#include <stdexcept>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "model_options.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"

namespace salt::cli {

Args export_embedded_args() {
    Args a("export-embedded", "Pack trained weights into the blob salt's embedded inference path loads "
                              "(BatchNorm folded, fp32; see examples/embedded).");
    a.required("weights", "FILE", "safetensors weights written by salt train");
    a.required("out", "FILE", "the blob to write");
    add_postprocess_options(a);
    a.flag("quiet", "print nothing but errors");
    return a;
}

int cmd_export_embedded(int argc, char** argv) {
    Args a = export_embedded_args();
    a.parse(argc, argv);
    const EmbeddedExport exported = embedded_export(a);
    const CompiledModel* model = exported.model;
    const train::PostProcess& post = exported.post;
    const std::vector<unsigned char>& blob = exported.blob;
    io::write_file_atomic(a.get("out"), blob.data(), blob.size());
    if (!a.has("quiet")) {
        const auto f = model->embedded_footprint();
        std::printf("salt export-embedded: %s (%s): %zu bytes; arena %zu bytes (weights %zu, activations %zu); %s\n",
                    a.get("out").c_str(), config_name(model->config()).c_str(), blob.size(), f.arena_bytes, f.weights_bytes,
                    f.activation_bytes, postprocess_text(post).c_str());
    }
    return 0;
}

}  // namespace salt::cli
