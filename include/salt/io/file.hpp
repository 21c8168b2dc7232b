// salt/io/file.hpp — whole-file reads and all-or-nothing writes.
//
// write_file_atomic writes to "<path>.tmp-<pid>-<n>" beside the target, fsyncs it and renames it over
// the target only once everything is written, then fsyncs the directory: a failed, interrupted or
// killed write never leaves a half-written output behind. It is the one atomic writer of salt; the
// safetensors and NPY writers call it with their own error type.
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

#include <fcntl.h>
#include <unistd.h>

#include <span>

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

// `make_error(problem)` builds the exception thrown on failure; the temporary file is removed first.
template <class MakeError>
void write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> bytes, MakeError make_error) {
    const auto tmp = temp_path_for(path);
    auto text = [](int err) { return std::string(std::strerror(err)); };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw make_error("cannot create the temporary file " + tmp.string() + ": " + text(errno));
    auto fail = [&](const std::string& what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return make_error(what + ": " + text(err));
    };
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ::ssize_t n = ::write(fd, bytes.data() + done, std::min<std::size_t>(bytes.size() - done, std::size_t(1) << 30));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw fail("write to " + tmp.string() + " failed");
        }
        done += std::size_t(n);
    }
    if (::fsync(fd) != 0) throw fail("fsync of " + tmp.string() + " failed");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw make_error("close of " + tmp.string() + " failed: " + text(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw make_error("cannot rename the finished temporary file into place: " + text(err));
    }
    // Make the rename itself durable (best effort: some file systems refuse fsync on directories).
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
}

// Removes the temporary files write_file_atomic left beside `path` when its process was killed
// mid-write ("<path>.tmp-<pid>-<n>"; never read, only wasted space). For a file only one process
// writes (a run's checkpoint): call it before writing `path` again.
inline void remove_stale_temp_files(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
    const std::string prefix = path.filename().string() + ".tmp-";
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind(prefix, 0) == 0) fs::remove(it->path(), ec);
}

inline void write_file_atomic(const std::filesystem::path& path, const void* data, std::size_t size) {
    write_file_atomic(path, std::span<const std::byte>(static_cast<const std::byte*>(data), size),
                      [&](const std::string& problem) { return IoError(path.string(), problem); });
}

inline void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
    write_file_atomic(path, text.data(), text.size());
}

}  // namespace salt::io
