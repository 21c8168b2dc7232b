// libFuzzer harness: split files (split.txt: "<id>\t<train|val|test>" per line) and the numbers
// salt reads from text (salt/io/number.hpp).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "salt/data/split.hpp"
#include "salt/io/number.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)salt::data::parse_split(text, "fuzz");
    } catch (const std::exception&) {
    }
    (void)salt::io::to_integer(text);
    (void)salt::io::to_real(text);
    return 0;
}
