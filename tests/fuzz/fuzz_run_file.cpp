// libFuzzer harness: a training run's RUN/run.txt ("key=value" lines, read back on --resume) and the
// numbers salt then reads from its values.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "salt/io/key_value.hpp"
#include "salt/io/number.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto kv = salt::io::parse_key_value_lines(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
        for (const auto& [key, value] : kv) {
            (void)salt::io::to_integer(value);
            (void)salt::io::to_real(value);
        }
    } catch (const salt::io::IoError&) {
    }
    return 0;
}
