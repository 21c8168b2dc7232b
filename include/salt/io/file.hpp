// salt/io/file.hpp — whole-file reads and all-or-nothing writes.
//
// write_file_atomic writes to "<path>.tmp-<pid>-<n>" beside the target and renames it over the target
// only once everything is written and flushed, so a failed or interrupted write never leaves a
// half-written output behind.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "salt/io/error.hpp"

namespace salt::io {

inline std::vector<unsigned char> read_file_bytes(const std::filesystem::path& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw IoError(path.string(), "is a directory, expected a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path.string(), std::string("cannot open: ") + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const std::streamoff n = in.tellg();
    if (n < 0) throw IoError(path.string(), "cannot determine the file size");
    in.seekg(0, std::ios::beg);
    std::vector<unsigned char> bytes(static_cast<std::size_t>(n));
    if (n > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), n)) throw IoError(path.string(), "read error");
    return bytes;
}

inline std::string read_file_text(const std::filesystem::path& path) {
    const auto b = read_file_bytes(path);
    return std::string(b.begin(), b.end());
}

// A temporary name beside `path`, unique within this process.
inline std::filesystem::path temp_path_for(const std::filesystem::path& path) {
    static std::atomic<std::uint64_t> counter{0};
    auto p = path;
    p += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    return p;
}

inline void write_file_atomic(const std::filesystem::path& path, const void* data, std::size_t size) {
    const auto tmp = temp_path_for(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError(path.string(), std::string("cannot create: ") + std::strerror(errno));
        if (size > 0) out.write(static_cast<const char*>(data), std::streamsize(size));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            throw IoError(path.string(), "write error (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ec2;
        std::filesystem::remove(tmp, ec2);
        throw IoError(path.string(), "cannot rename the finished temporary file into place: " + ec.message());
    }
}

inline void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
    write_file_atomic(path, text.data(), text.size());
}

}  // namespace salt::io
