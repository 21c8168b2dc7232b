// libFuzzer harness: CSV tables (train.csv, depths.csv) and the Kaggle RLE strings in them, decoded
// for a 101x101 mask as load_tgs does: the cells of the `rle_mask` column, when the header has one.
// The whole input is also decoded as one RLE string, so the RLE reader sees arbitrary bytes too.
// (An earlier version decoded every cell of every row; most cells are not RLE and throw, which made
// this harness 20-30x slower than the others under AddressSanitizer while adding no reader code: each
// cell is a substring the whole-input decode can reach by itself.)
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
        const std::size_t column = table.column("rle_mask");
        for (const auto& row : table.rows) {
            try {
                (void)salt::io::rle_decode(row[column], 101, 101);
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
