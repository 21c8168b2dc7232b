// salt/io/error.hpp — the one exception type for bad files and bad data.
//
// Every reader in salt::io and salt::data throws IoError when a file cannot be opened, is truncated or
// malformed, or holds data that breaks a documented rule (wrong image size, non-binary mask, bad RLE,
// missing depth, ...). what() is one line: "<file>[:<line>]: <reason>", ready to print as is.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace salt::io {

class IoError : public std::runtime_error {
public:
    IoError(std::string file, std::string reason, long line = 0)
        : std::runtime_error(compose(file, reason, line)), file_(std::move(file)), reason_(std::move(reason)), line_(line) {}

    // The file (or directory) the error is about; empty when there is none (e.g. an RLE string).
    const std::string& file() const noexcept { return file_; }
    // What is wrong, without the file name.
    const std::string& reason() const noexcept { return reason_; }
    // 1-based line number for text files, 0 when it does not apply.
    long line() const noexcept { return line_; }

private:
    static std::string compose(const std::string& file, const std::string& reason, long line) {
        std::string s;
        s.reserve(file.size() + reason.size() + 24);
        if (!file.empty()) {
            s.append(file);
            if (line > 0) s.append(":").append(std::to_string(line));
            s.append(": ");
        }
        s.append(reason);
        return s;
    }
    std::string file_;
    std::string reason_;
    long line_ = 0;
};

}  // namespace salt::io
