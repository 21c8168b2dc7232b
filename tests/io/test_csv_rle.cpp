// CSV parsing (quotes, CRLF, missing values, errors with line numbers) and Kaggle RLE (decode/encode,
// rejection of bad strings, and the round trip against every mask of the shared TGS data).
#include <catch2/catch.hpp>

#include <filesystem>

#include "salt/io/csv.hpp"
#include "salt/io/png.hpp"
#include "salt/io/rle.hpp"
#include "support/test_env.hpp"

using namespace salt::io;
namespace fs = std::filesystem;

TEST_CASE("CSV: quotes, CRLF, BOM, blank lines, missing values", "[csv]") {
    const auto t = parse_csv("\xEF\xBB\xBFid,z\r\n\"a,1\",5\r\n\r\nb,\r\n\"q\"\"x\",\"7\"\nc,\"multi\nline\"\n", "t.csv");
    REQUIRE(t.header == std::vector<std::string>{"id", "z"});
    REQUIRE(t.rows.size() == 4);
    CHECK(t.rows[0][0] == "a,1");
    CHECK(t.rows[1][1] == "");
    CHECK(t.rows[2][0] == "q\"x");
    CHECK(t.rows[2][1] == "7");
    CHECK(t.rows[3][1] == "multi\nline");
    CHECK(t.lines[0] == 2);
    CHECK(t.lines[1] == 4);
    CHECK(t.lines[3] == 6);
    CHECK(t.column("z") == 1);
    CHECK(csv_field("a,\"b") == "\"a,\"\"b\"");
}

TEST_CASE("CSV errors name the file and line", "[csv][errors]") {
    try {
        parse_csv("id,z\na,1\nb,2,3\n", "depths.csv");
        FAIL("no error");
    } catch (const IoError& e) {
        CHECK(e.line() == 3);
        CHECK(std::string(e.what()).find("depths.csv:3:") == 0);
    }
    CHECK_THROWS_WITH(parse_csv("id,z\n\"a,1\n", "f.csv"), Catch::Contains("f.csv:2") && Catch::Contains("unterminated"));
    CHECK_THROWS_WITH(parse_csv("", "e.csv"), Catch::Contains("empty"));
    CHECK_THROWS_WITH(parse_csv("id,z\n", "h.csv").column("rle_mask"), Catch::Contains("missing column"));
    CHECK_THROWS_AS(read_csv("/nonexistent/train.csv"), IoError);
}

TEST_CASE("RLE decode/encode basics (column-major, 1-based)", "[rle]") {
    // 3 wide, 2 high: pixel numbers go down the columns: (0,0)=1 (1,0)=2 (0,1)=3 (1,1)=4 ...
    const auto m = rle_decode("2 2 6 1", 3, 2);
    // "2 2" covers pixels 2 and 3: (y=1,x=0) and (y=0,x=1); "6 1" is (y=1,x=2).
    const std::vector<std::uint8_t> want = {0, 1, 0,
                                            1, 0, 1};
    CHECK(m == want);
    CHECK(rle_encode(m, 3, 2) == "2 2 6 1");
    CHECK(rle_decode("", 3, 2) == std::vector<std::uint8_t>(6, 0));
    CHECK(rle_encode(std::vector<std::uint8_t>(6, 0), 3, 2).empty());
    CHECK(rle_encode(std::vector<std::uint8_t>(6, 255), 3, 2) == "1 6");
    CHECK(rle_decode("  1   6 ", 3, 2) == std::vector<std::uint8_t>(6, 1));
}

TEST_CASE("bad RLE strings are rejected with a clear message", "[rle][errors]") {
    const RleContext ctx{"train.csv", 7};
    auto bad = [&](const char* s, const char* why) {
        INFO(s);
        CHECK_THROWS_WITH(rle_decode(s, 101, 101, ctx), Catch::Contains("train.csv:7: bad RLE") && Catch::Contains(why));
    };
    bad("1 2 3", "odd number");
    bad("1 x", "not a positive integer");
    bad("1 -2", "not a positive integer");
    bad("1.5 2", "not a positive integer");
    bad("0 5", "start must be >= 1");
    bad("5 0", "length must be >= 1");
    bad("10 5 12 3", "overlaps");
    bad("20 2 10 2", "overlaps or precedes");
    bad("10200 3", "runs past the last pixel 10201");
}

TEST_CASE("every train.csv row decodes to its mask PNG and re-encodes to itself", "[rle][data]") {
    if (!salt::test::require_tgs_data()) return;
    const auto dir = salt::test::tgs_dir();
    const auto t = read_csv(dir / "train.csv");
    const auto id = t.column("id"), rle = t.column("rle_mask");
    REQUIRE(t.rows.size() == 3200);
    int empty = 0;
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
        const auto& row = t.rows[r];
        const auto mask = rle_decode(row[rle], 101, 101, {(dir / "train.csv").string(), t.lines[r]});
        const auto png = read_png_gray16(dir / "train" / "masks" / (row[id] + ".png"));
        REQUIRE(png.width == 101);
        REQUIRE(png.height == 101);
        bool same = true;
        for (std::size_t i = 0; i < mask.size(); ++i) same &= (mask[i] != 0) == (png.pixels[i] != 0);
        INFO(row[id]);
        REQUIRE(same);
        REQUIRE(rle_encode(mask, 101, 101) == row[rle]);
        empty += row[rle].empty();
    }
    CHECK(empty == 1250);
}
