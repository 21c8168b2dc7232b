// salt/io/csv.hpp — a small RFC 4180 CSV reader.
//
// Handles quoted fields ("a,b", "say ""hi"""), newlines inside quotes, LF or CRLF line ends, a UTF-8
// byte-order mark, blank lines (skipped) and empty fields (kept as ""; callers decide what a missing
// value means). Every row must have as many fields as the header. Errors throw IoError with the file
// and the 1-based line number: unterminated quote, text after a closing quote, wrong field count,
// missing column, empty file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "salt/io/error.hpp"
#include "salt/io/file.hpp"

namespace salt::io {

struct CsvTable {
    std::string file;                           // for error messages
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<long> lines;                    // the line each row starts on (1-based)

    // Index of a header column; throws IoError naming the file when it is absent.
    std::size_t column(std::string_view name) const {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return i;
        throw IoError(file, "missing column '" + std::string(name) + "' in the header", 1);
    }
};

inline CsvTable parse_csv(std::string_view text, const std::string& name = "<csv>") {
    CsvTable t;
    t.file = name;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::size_t i = 0;
    long line = 1;
    bool have_header = false;
    while (i < text.size()) {
        const long row_line = line;
        std::vector<std::string> fields;
        std::string field;
        bool row_done = false;
        bool blank = true;
        while (!row_done) {
            field.clear();
            if (i < text.size() && text[i] == '"') {
                blank = false;
                ++i;
                bool closed = false;
                while (i < text.size()) {
                    const char ch = text[i++];
                    if (ch == '"') {
                        if (i < text.size() && text[i] == '"') {
                            field += '"';
                            ++i;
                        } else {
                            closed = true;
                            break;
                        }
                    } else {
                        if (ch == '\n') ++line;
                        field += ch;
                    }
                }
                if (!closed) throw IoError(name, "unterminated quoted field", row_line);
                if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                    throw IoError(name, "unexpected text after a closing quote", line);
            } else {
                while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    if (text[i] == '"') throw IoError(name, "a quote inside an unquoted field", line);
                    field += text[i++];
                }
                if (!field.empty()) blank = false;
            }
            fields.push_back(field);
            if (i >= text.size()) {
                row_done = true;
            } else if (text[i] == ',') {
                blank = false;
                ++i;
            } else {  // end of line: \n or \r\n (a lone \r also counts)
                if (text[i] == '\r') ++i;
                if (i < text.size() && text[i] == '\n') ++i;
                ++line;
                row_done = true;
            }
        }
        if (blank && fields.size() == 1) continue;  // empty line
        if (!have_header) {
            t.header = std::move(fields);
            have_header = true;
            continue;
        }
        if (fields.size() != t.header.size())
            throw IoError(name, "expected " + std::to_string(t.header.size()) + " fields, found " + std::to_string(fields.size()), row_line);
        t.rows.push_back(std::move(fields));
        t.lines.push_back(row_line);
    }
    if (!have_header) throw IoError(name, "empty CSV file (no header)");
    return t;
}

inline CsvTable read_csv(const std::filesystem::path& path) { return parse_csv(read_file_text(path), path.string()); }

// Quote a field when needed (comma, quote, CR or LF inside).
inline std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + '"';
}

}  // namespace salt::io
