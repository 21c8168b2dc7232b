// salt/io/number.hpp — numbers read from text that strangers wrote (metadata, run files, command
// lines): the whole text must be the number, and the reading never depends on the C locale
// (std::from_chars: "2,5" is not 2.5 under any locale, "1e10" is not the integer 1).
#pragma once

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <system_error>

namespace salt::io {

// Decimal digits with an optional leading '-'; nothing else ("2.9", "1e10", " 3", "" are not integers).
inline std::optional<long long> to_integer(std::string_view text) {
    long long x = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, x);
    if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
    return x;
}

// A finite decimal number ("0.5", "1e-3", "-2"); "nan", "inf", hexadecimal and "" are not.
inline std::optional<double> to_real(std::string_view text) {
    double x = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, x, std::chars_format::general);
    if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(x)) return std::nullopt;
    return x;
}

}  // namespace salt::io
