// salt/io/number.hpp: numbers read from strangers' text are the whole text, finite, and never
// truncated ("2.9" is not the integer 2, "1e10" not 1, "0,5" not 0.5 or 0).
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "salt/io/number.hpp"

using salt::io::to_integer;
using salt::io::to_real;

TEST_CASE("to_integer: whole decimal integers only", "[unit][io]") {
    CHECK(to_integer("0") == 0);
    CHECK(to_integer("42") == 42);
    CHECK(to_integer("-7") == -7);
    CHECK(to_integer("9223372036854775807") == std::numeric_limits<long long>::max());
    for (const char* bad : {"", " 1", "1 ", "+1", "2.9", "1e10", "0x10", "12abc", "abc", "9223372036854775808", "--1", "1,000"})
        CHECK_FALSE(to_integer(bad).has_value());
}

TEST_CASE("to_real: whole finite decimal numbers only", "[unit][io]") {
    CHECK(to_real("0.5") == 0.5);
    CHECK(to_real("1e-3") == 0.001);
    CHECK(to_real("-2") == -2.0);
    CHECK(to_real("3") == 3.0);
    CHECK(to_real("0.001") == to_real("1e-3"));
    for (const char* bad : {"", "0,5", " 0.5", "0.5 ", "nan", "NaN", "inf", "-inf", "1e999", "0x1p3", "abc", "1.2.3", "+0.5"})
        CHECK_FALSE(to_real(bad).has_value());
}

// salt/io/key_value.hpp: RUN/run.txt read back on --resume; a damaged line is named, never skipped.
#include "salt/io/key_value.hpp"

namespace {
std::string key_value_error(const std::string& text) {
    try {
        (void)salt::io::parse_key_value_lines(text, "RUN/run.txt");
    } catch (const salt::io::IoError& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE("parse_key_value_lines: key=value per line, values kept verbatim", "[unit][io]") {
    const auto kv = salt::io::parse_key_value_lines("epochs=30\r\n\nrates=12,24,36\ndata=/a=b\nempty=\n", "x");
    REQUIRE(kv.size() == 4);
    CHECK(kv.at("epochs") == "30");
    CHECK(kv.at("rates") == "12,24,36");
    CHECK(kv.at("data") == "/a=b");
    CHECK(kv.at("empty").empty());
    CHECK(salt::io::parse_key_value_lines("", "x").empty());
    CHECK(salt::io::parse_key_value_lines("a=1", "x").at("a") == "1");  // no final newline
}

TEST_CASE("parse_key_value_lines: bad lines are named by file and line", "[unit][io]") {
    CHECK(key_value_error("a=1\nno equals sign\n") == "RUN/run.txt:2: expected key=value, found no '='");
    CHECK(key_value_error("=5\n") == "RUN/run.txt:1: expected key=value, found an empty key");
    CHECK(key_value_error("a=1\n\na=2\n") == "RUN/run.txt:3: the key 'a' appears twice");
    CHECK(key_value_error("bad key=1\n") == "RUN/run.txt:1: the key 'bad key' contains a space or a control character");
    CHECK(key_value_error(std::string("a=1\nb=\0x\n", 8)) == "RUN/run.txt:2: a NUL byte (not a text file?)");
}
