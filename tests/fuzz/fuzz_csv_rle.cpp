// libFuzzer harness: CSV tables (train.csv, depths.csv) and the Kaggle RLE strings in them, decoded
// for a 101x101 mask as load_tgs does.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "salt/io/csv.hpp"
#include "salt/io/rle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto table = salt::io::parse_csv(text, "fuzz");
        for (const auto& row : table.rows)
            for (const auto& cell : row) {
                try {
                    (void)salt::io::rle_decode(cell, 101, 101);
                } catch (const std::exception&) {
                }
            }
    } catch (const std::exception&) {
    }
    try {
        (void)salt::io::rle_decode(text, 101, 101);
    } catch (const std::exception&) {
    }
    return 0;
}
