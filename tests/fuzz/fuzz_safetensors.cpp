// libFuzzer harness: safetensors files from strangers (header JSON, dtypes, shapes, data offsets),
// and the salt metadata read back from them (post-processing and preprocessing keys).
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "salt/data/preprocess.hpp"
#include "salt/io/safetensors.hpp"
#include "salt/train/postprocess.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto f = salt::io::SafetensorsFile::parse(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size), "fuzz");
        for (const auto& name : f.names()) {
            try {
                (void)f.to_float(name);
            } catch (const std::exception&) {
            }
        }
        try {
            (void)salt::train::PostProcess::from_metadata(f.metadata(), "fuzz");
        } catch (const std::exception&) {
        }
        try {
            (void)salt::data::Preprocess::from_metadata(f.metadata(), "fuzz");
        } catch (const std::exception&) {
        }
    } catch (const std::exception&) {
    }
    return 0;
}
