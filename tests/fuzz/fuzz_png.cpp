// libFuzzer harness: PNG files from strangers, decoded as 8-bit (any, gray, RGB) and 16-bit.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "salt/io/png.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<unsigned char> bytes(data, data + size);
    for (int channels : {0, 1, 3}) {
        try {
            (void)salt::io::decode_png(bytes, "fuzz", channels);
        } catch (const std::exception&) {
        }
    }
    try {
        (void)salt::io::decode_png16(bytes, "fuzz", 1);
    } catch (const std::exception&) {
    }
    return 0;
}
