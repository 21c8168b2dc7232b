// salt/io/key_value.hpp — "key=value" lines (a training run's RUN/run.txt): the options a run was
// started with, read back on --resume. The file may have been edited or damaged by hand, so every
// line is checked and a bad one is named by file and line.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "salt/io/error.hpp"
#include "salt/io/lines.hpp"

namespace salt::io {

// One "key=value" per line ('\n' or "\r\n" endings); empty lines are skipped. The key is what precedes
// the first '=' and must be non-empty and free of spaces and control characters; the value is the
// rest of the line (it may be empty or contain '='). A line without '=', a bad key, a repeated key or
// a NUL byte is an IoError naming `source` and the line.
inline std::map<std::string, std::string> parse_key_value_lines(std::string_view text, const std::string& source) {
    std::map<std::string, std::string> kv;
    for_each_line(text, [&](std::string_view line, long line_no) {
        if (line.empty()) return;
        if (line.find('\0') != std::string_view::npos) throw IoError(source, "a NUL byte (not a text file?)", line_no);
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) throw IoError(source, "expected key=value, found no '='", line_no);
        const std::string_view key = line.substr(0, eq);
        if (key.empty()) throw IoError(source, "expected key=value, found an empty key", line_no);
        for (const char c : key)
            if (static_cast<unsigned char>(c) <= ' ' || c == 127)
                throw IoError(source, "the key '" + std::string(key) + "' contains a space or a control character", line_no);
        if (!kv.emplace(std::string(key), std::string(line.substr(eq + 1))).second)
            throw IoError(source, "the key '" + std::string(key) + "' appears twice", line_no);
    });
    return kv;
}

}  // namespace salt::io
