// salt/io/lines.hpp — the lines of a text file held in memory, for the small line-based readers
// (run.txt, log.csv): '\n' or "\r\n" endings, 1-based line numbers for error messages.
#pragma once

#include <cstddef>
#include <string_view>

namespace salt::io {

// Calls f(line, line_number) for every line, the ending removed; a final line without '\n' counts.
template <class F>
void for_each_line(std::string_view text, F&& f) {
    long line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        ++line_no;
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        f(line, line_no);
    }
}

}  // namespace salt::io
