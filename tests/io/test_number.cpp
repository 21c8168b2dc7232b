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
