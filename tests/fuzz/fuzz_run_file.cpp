// libFuzzer harness: a training run's text files read back on --resume: RUN/run.txt ("key=value"
// lines, and the numbers salt then reads from its values) and RUN/log.csv (the epoch log).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "salt/io/key_value.hpp"
#include "salt/io/number.hpp"
#include "salt/train/epoch_log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)salt::train::parse_epoch_log(text, "fuzz", 1000000);
    } catch (const salt::io::IoError&) {
    }
    try {
        const auto kv = salt::io::parse_key_value_lines(text, "fuzz");
        for (const auto& [key, value] : kv) {
            (void)salt::io::to_integer(value);
            (void)salt::io::to_real(value);
        }
    } catch (const salt::io::IoError&) {
    }
    return 0;
}
