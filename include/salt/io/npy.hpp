// salt/io/npy.hpp — reading and writing NumPy .npy files (float32, float64 and int64 arrays).
//
// The format (numpy.lib.format):
//   6 bytes   magic "\x93NUMPY"
//   2 bytes   version major, minor (1.0, 2.0 or 3.0)
//   2 or 4    header length H, little-endian: u16 for version 1, u32 for versions 2 and 3
//   H bytes   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), },
//             space-padded and ending in '\n' so the data starts at a multiple of 64 (16 in old files)
//   the data  raw, C order
// Supported: descr '<f4', '<f8', '<i8', C order. Fortran order, big-endian, object and structured
// dtypes are clear errors. Every failure throws NpyError naming the file, what was expected and what
// was found. Writes are atomic (a temporary file beside the target, fsync, rename: io/file.hpp).
#pragma once

#include "salt/io/file.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace salt::io {

static_assert(std::endian::native == std::endian::little, "salt::io::npy reads little-endian data in place");

class NpyError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class NpyDType : std::uint8_t { F32, F64, I64 };

constexpr std::size_t npy_dtype_size(NpyDType t) { return t == NpyDType::F32 ? 4 : 8; }
constexpr std::string_view npy_descr(NpyDType t) {
    return t == NpyDType::F32 ? "<f4" : t == NpyDType::F64 ? "<f8" : "<i8";
}

struct NpyArray {
    std::vector<std::int64_t> shape;  // empty for a 0-d array
    NpyDType dtype = NpyDType::F32;
    std::vector<std::byte> data;      // little-endian, C order
    std::string source;               // the file it came from, for messages

    std::int64_t numel() const {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }
    // '<f4' as is, '<f8' narrowed; '<i8' throws.
    std::vector<float> to_float() const;
    // '<f8' as is, '<f4' widened; '<i8' throws.
    std::vector<double> to_double() const;
    // '<i8' only.
    std::vector<std::int64_t> to_int64() const;
};

// Shape plus float values, the common case.
struct NpyFloatArray {
    std::vector<std::int64_t> shape;
    std::vector<float> data;
};

namespace npy_detail {

inline NpyError error(std::string_view source, const std::string& problem) {
    return NpyError("npy: " + std::string(source) + ": " + problem);
}

inline std::string shape_text(std::span<const std::int64_t> shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

// Parser for the header's Python literal: a dict whose values are strings, booleans or tuples of
// non-negative integers.
class HeaderParser {
public:
    HeaderParser(std::string_view text, std::string_view source) : s_(text), source_(source) {}

    struct Result {
        std::optional<std::string> descr;
        std::optional<bool> fortran_order;
        std::optional<std::vector<std::int64_t>> shape;
    };

    Result parse() {
        Result r;
        ws();
        expect('{', "'{' at the start of the header dict");
        for (;;) {
            ws();
            if (peek() == '}') {
                ++pos_;
                break;
            }
            const std::string key = string_literal();
            ws();
            expect(':', "':' after the key '" + key + "'");
            ws();
            if (key == "descr") {
                if (peek() != '\'' && peek() != '"')
                    fail("a dtype string for 'descr' (structured dtypes are not supported)", std::string(1, peek()));
                r.descr = string_literal();
            } else if (key == "fortran_order") {
                if (s_.substr(pos_, 4) == "True") r.fortran_order = true, pos_ += 4;
                else if (s_.substr(pos_, 5) == "False") r.fortran_order = false, pos_ += 5;
                else fail("True or False for 'fortran_order'", std::string(s_.substr(pos_, 8)));
            } else if (key == "shape") {
                r.shape = tuple_literal();
            } else {
                fail("only the keys 'descr', 'fortran_order' and 'shape'", "'" + key + "'");
            }
            ws();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                break;
            }
            fail("',' or '}' in the header dict", std::string(1, peek()));
        }
        ws();
        if (pos_ != s_.size()) fail("only padding after the header dict", std::string(s_.substr(pos_, 16)));
        return r;
    }

private:
    std::string_view s_;
    std::string_view source_;
    std::size_t pos_ = 0;

    [[noreturn]] void fail(const std::string& expected, const std::string& found) const {
        throw error(source_, "malformed header at byte " + std::to_string(pos_) + " of the header dict: expected " +
                                 expected + ", found " + (found.empty() ? "the end of the header" : "'" + found + "'"));
    }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) ++pos_;
    }
    void expect(char c, const std::string& what) {
        if (peek() != c) fail(what, pos_ < s_.size() ? std::string(1, peek()) : std::string());
        ++pos_;
    }
    std::string string_literal() {
        const char q = peek();
        if (q != '\'' && q != '"') fail("a quoted string", pos_ < s_.size() ? std::string(1, q) : std::string());
        ++pos_;
        std::string out;
        while (pos_ < s_.size() && s_[pos_] != q) {
            if (s_[pos_] == '\\') fail("a plain string (escapes are not used by NumPy here)", "\\");
            out += s_[pos_++];
        }
        if (pos_ >= s_.size()) fail("a closing quote", "");
        ++pos_;
        return out;
    }
    std::vector<std::int64_t> tuple_literal() {
        expect('(', "a tuple for 'shape'");
        std::vector<std::int64_t> dims;
        for (;;) {
            ws();
            if (peek() == ')') {
                ++pos_;
                return dims;
            }
            if (peek() < '0' || peek() > '9') fail("a non-negative integer in 'shape'", std::string(1, peek()));
            std::int64_t v = 0;
            while (peek() >= '0' && peek() <= '9') {
                if (v > (INT64_MAX - 9) / 10) fail("an extent that fits in int64", "a longer number");
                v = v * 10 + (peek() - '0');
                ++pos_;
            }
            if (peek() == 'L') ++pos_;  // Python 2 longs
            dims.push_back(v);
            ws();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() != ')') fail("',' or ')' in 'shape'", std::string(1, peek()));
        }
    }
};


}  // namespace npy_detail

// Parses a .npy image held in memory; `source` names it in messages.
inline NpyArray parse_npy(std::span<const std::byte> bytes, std::string source = "<memory>") {
    using npy_detail::error;
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
    if (bytes.size() < 10)
        throw error(source, "truncated file: " + std::to_string(bytes.size()) + " bytes, expected at least the 10-byte preamble");
    if (std::memcmp(b, "\x93NUMPY", 6) != 0) throw error(source, "not an NPY file: expected the magic \"\\x93NUMPY\"");
    const unsigned major = b[6], minor = b[7];
    std::size_t header_len = 0, preamble = 0;
    if (major == 1) {
        header_len = std::size_t(b[8]) | (std::size_t(b[9]) << 8);
        preamble = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw error(source, "truncated file: the version 2 preamble needs 12 bytes");
        header_len = std::size_t(b[8]) | (std::size_t(b[9]) << 8) | (std::size_t(b[10]) << 16) | (std::size_t(b[11]) << 24);
        preamble = 12;
    } else {
        throw error(source, "unsupported NPY version " + std::to_string(major) + "." + std::to_string(minor) +
                                " (expected 1.0, 2.0 or 3.0)");
    }
    if (preamble + header_len > bytes.size())
        throw error(source, "truncated file: the header is " + std::to_string(header_len) + " bytes but only " +
                                std::to_string(bytes.size() - preamble) + " follow the preamble");
    const std::string_view header(reinterpret_cast<const char*>(b + preamble), header_len);
    const auto h = npy_detail::HeaderParser(header, source).parse();
    if (!h.descr || !h.fortran_order || !h.shape)
        throw error(source, std::string("malformed header: missing the key '") +
                                (!h.descr ? "descr" : !h.fortran_order ? "fortran_order" : "shape") + "'");
    NpyArray a;
    a.source = source;
    if (*h.descr == "<f4") a.dtype = NpyDType::F32;
    else if (*h.descr == "<f8") a.dtype = NpyDType::F64;
    else if (*h.descr == "<i8") a.dtype = NpyDType::I64;
    else if (!h.descr->empty() && h.descr->front() == '>')
        throw error(source, "big-endian dtype '" + *h.descr + "' is not supported (expected '<f4', '<f8' or '<i8')");
    else
        throw error(source, "unsupported dtype '" + *h.descr + "' (expected '<f4', '<f8' or '<i8')");
    if (*h.fortran_order)
        throw error(source, "Fortran-order array (fortran_order: True) is not supported: expected C order "
                            "(save np.ascontiguousarray(a) instead)");
    a.shape = *h.shape;
    std::uint64_t numel = 1;
    for (const auto d : a.shape) {
        if (d != 0 && numel > std::uint64_t(INT64_MAX) / std::uint64_t(d))
            throw error(source, "shape " + npy_detail::shape_text(a.shape) + " overflows");
        numel *= std::uint64_t(d);
    }
    const std::uint64_t item = npy_dtype_size(a.dtype);
    if (numel > std::uint64_t(INT64_MAX) / item) throw error(source, "shape " + npy_detail::shape_text(a.shape) + " overflows");
    const std::uint64_t need = numel * item;
    const std::uint64_t have = bytes.size() - preamble - header_len;
    if (have < need)
        throw error(source, "truncated file: shape " + npy_detail::shape_text(a.shape) + " of '" + *h.descr + "' needs " +
                                std::to_string(need) + " data bytes, found " + std::to_string(have));
    if (have > need)
        throw error(source, "unexpected trailing data: shape " + npy_detail::shape_text(a.shape) + " of '" + *h.descr +
                                "' needs " + std::to_string(need) + " data bytes, found " + std::to_string(have));
    const std::byte* d = bytes.data() + preamble + header_len;
    a.data.assign(d, d + need);
    return a;
}

inline NpyArray read_npy(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw npy_detail::error(path.string(), std::string("cannot open the file: ") + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    if (size < 0) throw npy_detail::error(path.string(), "cannot determine the file size");
    in.seekg(0, std::ios::beg);
    std::vector<std::byte> bytes(static_cast<std::size_t>(size));
    if (!bytes.empty() && !in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size())))
        throw npy_detail::error(path.string(), "read error");
    return parse_npy(bytes, path.string());
}

// Shape and float values of a '<f4' or '<f8' file.
inline NpyFloatArray read_npy_float(const std::filesystem::path& path) {
    NpyArray a = read_npy(path);
    return NpyFloatArray{a.shape, a.to_float()};
}

inline std::vector<float> NpyArray::to_float() const {
    const std::size_t n = std::size_t(numel());
    std::vector<float> out(n);
    if (dtype == NpyDType::F32) {
        if (n) std::memcpy(out.data(), data.data(), n * 4);
    } else if (dtype == NpyDType::F64) {
        for (std::size_t i = 0; i < n; ++i) {
            double v;
            std::memcpy(&v, data.data() + 8 * i, 8);
            out[i] = float(v);
        }
    } else {
        throw npy_detail::error(source, "dtype '<i8' cannot be read as float (expected '<f4' or '<f8')");
    }
    return out;
}

inline std::vector<double> NpyArray::to_double() const {
    const std::size_t n = std::size_t(numel());
    std::vector<double> out(n);
    if (dtype == NpyDType::F64) {
        if (n) std::memcpy(out.data(), data.data(), n * 8);
    } else if (dtype == NpyDType::F32) {
        for (std::size_t i = 0; i < n; ++i) {
            float v;
            std::memcpy(&v, data.data() + 4 * i, 4);
            out[i] = v;
        }
    } else {
        throw npy_detail::error(source, "dtype '<i8' cannot be read as double (expected '<f4' or '<f8')");
    }
    return out;
}

inline std::vector<std::int64_t> NpyArray::to_int64() const {
    if (dtype != NpyDType::I64)
        throw npy_detail::error(source, "dtype '" + std::string(npy_descr(dtype)) + "' cannot be read as int64 (expected '<i8')");
    const auto n = std::size_t(numel());
    std::vector<std::int64_t> out(n);
    if (!out.empty()) std::memcpy(out.data(), data.data(), out.size() * 8);
    return out;
}

// The .npy image of an array: version 1.0 when the header fits in 65535 bytes, else 2.0; the header
// is padded so the data starts at a multiple of 64, as NumPy writes it.
namespace npy_detail {
inline std::uint64_t element_count(std::span<const std::int64_t> shape) {
    std::uint64_t numel = 1;
    for (const auto d : shape) {
        if (d < 0) throw error("<writer>", "negative extent in shape " + shape_text(shape));
        numel *= std::uint64_t(d);
    }
    return numel;
}
}  // namespace npy_detail

// The magic, version, length and padded header dict of an array: the bytes before its data.
inline std::vector<std::byte> npy_header(NpyDType dtype, std::span<const std::int64_t> shape) {
    std::string h = "{'descr': '" + std::string(npy_descr(dtype)) + "', 'fortran_order': False, 'shape': " +
                    npy_detail::shape_text(shape) + ", }";
    std::size_t preamble = 10;
    auto pad = [&] {
        std::string p = h;
        while ((preamble + p.size() + 1) % 64 != 0) p += ' ';
        return p + '\n';
    };
    std::string full = pad();
    if (full.size() > 65535) {
        preamble = 12;
        full = pad();
    }
    std::vector<std::byte> out(preamble + full.size());
    auto* b = reinterpret_cast<unsigned char*>(out.data());
    std::memcpy(b, "\x93NUMPY", 6);
    b[6] = preamble == 10 ? 1 : 2;
    b[7] = 0;
    const std::uint32_t len = std::uint32_t(full.size());
    b[8] = len & 0xFF;
    b[9] = (len >> 8) & 0xFF;
    if (preamble == 12) {
        b[10] = (len >> 16) & 0xFF;
        b[11] = (len >> 24) & 0xFF;
    }
    std::memcpy(b + preamble, full.data(), full.size());
    return out;
}

inline std::vector<std::byte> serialize_npy(NpyDType dtype, std::span<const std::int64_t> shape,
                                            std::span<const std::byte> data) {
    const std::uint64_t numel = npy_detail::element_count(shape);
    if (numel * npy_dtype_size(dtype) != data.size())
        throw npy_detail::error("<writer>", "shape " + npy_detail::shape_text(shape) + " of '" +
                                                std::string(npy_descr(dtype)) + "' needs " +
                                                std::to_string(numel * npy_dtype_size(dtype)) + " bytes, got " +
                                                std::to_string(data.size()));
    auto out = npy_header(dtype, shape);
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

// A float32 array too large to hold in memory, written in C order piece by piece into a temporary
// file beside `path`, which commit() checks (every element written), syncs and renames into place.
// Destroyed uncommitted (an error, an exception), it removes the temporary file: never a half array.
class NpyStreamWriter {
public:
    NpyStreamWriter(std::filesystem::path path, std::span<const std::int64_t> shape)
        : path_(std::move(path)), temp_(temp_path_for(path_)), numel_(npy_detail::element_count(shape)) {
        f_ = std::fopen(temp_.c_str(), "wb");
        if (!f_) throw npy_detail::error(path_.string(), "cannot create the temporary file " + temp_.string() + ": " + std::strerror(errno));
        const auto h = npy_header(NpyDType::F32, shape);
        put(h.data(), h.size());
    }
    ~NpyStreamWriter() {
        if (f_) std::fclose(f_);
        if (!committed_) ::unlink(temp_.c_str());
    }
    NpyStreamWriter(const NpyStreamWriter&) = delete;
    NpyStreamWriter& operator=(const NpyStreamWriter&) = delete;

    void append(std::span<const float> values) {
        if (written_ + values.size() > numel_)
            throw npy_detail::error(path_.string(), "more values appended than the shape holds (" + std::to_string(numel_) + ")");
        static_assert(std::endian::native == std::endian::little, "the .npy writer stores '<f4' as the machine's bytes");
        put(values.data(), values.size() * sizeof(float));
        written_ += values.size();
    }
    void commit() {
        if (written_ != numel_)
            throw npy_detail::error(path_.string(), "only " + std::to_string(written_) + " of " + std::to_string(numel_) +
                                                        " values were written");
        const bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
        const int err = errno;
        std::fclose(f_);
        f_ = nullptr;
        if (!ok) throw npy_detail::error(path_.string(), "writing " + temp_.string() + " failed: " + std::strerror(err));
        if (::rename(temp_.c_str(), path_.c_str()) != 0)
            throw npy_detail::error(path_.string(), std::string("cannot rename the finished temporary file into place: ") + std::strerror(errno));
        committed_ = true;
    }

private:
    void put(const void* p, std::size_t n) {
        if (n && std::fwrite(p, 1, n, f_) != n)
            throw npy_detail::error(path_.string(), "writing " + temp_.string() + " failed (disk full?): " + std::strerror(errno));
    }
    std::filesystem::path path_, temp_;
    std::uint64_t numel_ = 0, written_ = 0;
    std::FILE* f_ = nullptr;
    bool committed_ = false;
};

inline void write_npy(const std::filesystem::path& path, NpyDType dtype, std::span<const std::int64_t> shape,
                      std::span<const std::byte> data) {
    const auto bytes = serialize_npy(dtype, shape, data);
    io::write_file_atomic(path, bytes, [&](const std::string& problem) {
        return npy_detail::error(path.string(), "cannot write: " + problem);
    });
}
inline void write_npy(const std::filesystem::path& path, std::span<const std::int64_t> shape, std::span<const float> data) {
    write_npy(path, NpyDType::F32, shape, std::as_bytes(data));
}
inline void write_npy(const std::filesystem::path& path, std::span<const std::int64_t> shape, std::span<const double> data) {
    write_npy(path, NpyDType::F64, shape, std::as_bytes(data));
}
inline void write_npy(const std::filesystem::path& path, std::span<const std::int64_t> shape,
                      std::span<const std::int64_t> data) {
    write_npy(path, NpyDType::I64, shape, std::as_bytes(data));
}

}  // namespace salt::io
