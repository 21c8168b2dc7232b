// libFuzzer harness: NPY files from strangers (magic, version, header dict, shape, dtype, data size).
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "salt/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)salt::io::parse_npy(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size), "fuzz");
    } catch (const std::exception&) {
    }
    return 0;
}
