// salt/io/safetensors.hpp — reading and writing safetensors files (weights, fixtures, checkpoints).
//
// The format (https://github.com/huggingface/safetensors):
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   a UTF-8 JSON object: {"<name>": {"dtype": "F32", "shape": [2, 3],
//             "data_offsets": [begin, end]}, ..., "__metadata__": {"<key>": "<value>", ...}}
//             (the metadata object is optional; trailing spaces pad the header)
//   the data  raw little-endian, C order; offsets are relative to the start of the data section
// A valid file's tensors cover the data section exactly: sorted by offset, each begins where the
// previous one ends, the first at 0, the last at the end of the file; no holes, no overlaps.
//
// The reader treats the file as hostile: every number is checked (with overflow checks) before it
// is used, and every failure throws SafetensorsError naming the file, the tensor where there is
// one, and the problem. The writer writes a temporary file beside the target (io/file.hpp), fsyncs it and renames it over the
// destination, so the output is either the old file or the complete new one.
//
// The JSON parser here is deliberately minimal: it accepts standard JSON (RFC 8259) with a nesting
// limit and rejects everything else with the byte offset of the problem.
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
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace salt::io {

static_assert(std::endian::native == std::endian::little,
              "salt::io reads and writes little-endian data in place; a big-endian host needs byte swaps");

class SafetensorsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The largest header accepted, as in the reference implementation (100 MB).
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000;

enum class DType : std::uint8_t { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

constexpr std::size_t dtype_size(DType t) {
    switch (t) {
        case DType::BOOL:
        case DType::U8:
        case DType::I8:
        case DType::F8_E5M2:
        case DType::F8_E4M3: return 1;
        case DType::I16:
        case DType::U16:
        case DType::F16:
        case DType::BF16: return 2;
        case DType::I32:
        case DType::U32:
        case DType::F32: return 4;
        case DType::F64:
        case DType::I64:
        case DType::U64: return 8;
    }
    return 0;
}

constexpr std::string_view dtype_name(DType t) {
    switch (t) {
        case DType::BOOL: return "BOOL";
        case DType::U8: return "U8";
        case DType::I8: return "I8";
        case DType::F8_E5M2: return "F8_E5M2";
        case DType::F8_E4M3: return "F8_E4M3";
        case DType::I16: return "I16";
        case DType::U16: return "U16";
        case DType::F16: return "F16";
        case DType::BF16: return "BF16";
        case DType::I32: return "I32";
        case DType::U32: return "U32";
        case DType::F32: return "F32";
        case DType::F64: return "F64";
        case DType::I64: return "I64";
        case DType::U64: return "U64";
    }
    return "?";
}

inline std::optional<DType> dtype_from_name(std::string_view s) {
    for (int i = 0; i <= int(DType::U64); ++i) {
        if (dtype_name(DType(i)) == s) return DType(i);
    }
    return std::nullopt;
}

// One tensor: its name, dtype, shape (empty for a scalar) and raw little-endian bytes (C order).
struct TensorRecord {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::byte> data;

    std::int64_t numel() const {
        std::int64_t n = 1;
        for (auto d : shape) n *= d;
        return n;
    }
};

// "[2, 3]" for messages.
inline std::string shape_string(std::span<const std::int64_t> shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

namespace detail {

// ---------------------------------------------------------------------------------------------
// Minimal JSON.

struct JsonValue {
    enum class Kind : std::uint8_t { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool boolean = false;
    std::string text;                   // String: the decoded string; Number: the literal as written
    std::vector<JsonValue> items;       // Array elements, or Object values
    std::vector<std::string> keys;      // Object keys (parallel to items, in file order)
    std::size_t offset = 0;             // byte offset of the value in the parsed text

    const JsonValue* member(std::string_view key) const {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == key) return &items[i];
        return nullptr;
    }
};

inline const char* json_kind_name(JsonValue::Kind k) {
    switch (k) {
        case JsonValue::Kind::Null: return "null";
        case JsonValue::Kind::Bool: return "a boolean";
        case JsonValue::Kind::Number: return "a number";
        case JsonValue::Kind::String: return "a string";
        case JsonValue::Kind::Array: return "an array";
        case JsonValue::Kind::Object: return "an object";
    }
    return "?";
}

struct JsonSyntaxError {
    std::size_t offset;
    std::string what;
};

class JsonParser {
public:
    explicit JsonParser(std::string_view text) : s_(text) {}

    // Parses one value followed only by whitespace. Throws JsonSyntaxError.
    JsonValue parse_document() {
        skip_ws();
        JsonValue v = parse_value(0);
        skip_ws();
        if (pos_ != s_.size()) fail("unexpected '" + printable(s_[pos_]) + "' after the end of the JSON value");
        return v;
    }

    // A header of N bytes could otherwise hold N/2 values ("[0,0,...]") of ~110 bytes each: a 100 MB
    // header would become gigabytes of parse nodes. A safetensors header needs about eight values per
    // tensor, so this bounds the parsed header at ~120 MB of nodes while leaving room for files with
    // 100,000 tensors.
    static constexpr std::size_t kMaxValues = std::size_t{1} << 20;

private:
    static constexpr int kMaxDepth = 64;
    std::string_view s_;
    std::size_t pos_ = 0;
    std::size_t values_ = 0;

    [[noreturn]] void fail(std::string what) const { throw JsonSyntaxError{pos_, std::move(what)}; }
    [[noreturn]] void fail_at(std::size_t at, std::string what) const { throw JsonSyntaxError{at, std::move(what)}; }

    static std::string printable(char c) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) return std::string(1, c);
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        return buf;
    }

    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    }

    void expect_literal(std::string_view lit) {
        if (s_.substr(pos_, lit.size()) != lit) fail("invalid literal (expected '" + std::string(lit) + "')");
        pos_ += lit.size();
    }

    JsonValue parse_value(int depth) {
        if (pos_ >= s_.size()) fail("unexpected end of the JSON text (expected a value)");
        if (++values_ > kMaxValues)
            fail("more than " + std::to_string(kMaxValues) +
                 " JSON values (salt's limit, which bounds the memory a header can take)");
        JsonValue v;
        v.offset = pos_;
        const char c = s_[pos_];
        if (c == '{') {
            if (depth >= kMaxDepth) fail("JSON nesting deeper than " + std::to_string(kMaxDepth));
            v.kind = JsonValue::Kind::Object;
            ++pos_;
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == '}') {
                ++pos_;
                return v;
            }
            for (;;) {
                skip_ws();
                if (pos_ >= s_.size()) fail("unexpected end of the JSON text inside an object");
                if (s_[pos_] != '"') fail("expected a string key, found '" + printable(s_[pos_]) + "'");
                v.keys.push_back(parse_string());
                skip_ws();
                if (pos_ >= s_.size() || s_[pos_] != ':') fail("expected ':' after an object key");
                ++pos_;
                skip_ws();
                v.items.push_back(parse_value(depth + 1));
                skip_ws();
                if (pos_ >= s_.size()) fail("unexpected end of the JSON text inside an object");
                if (s_[pos_] == ',') {
                    ++pos_;
                    continue;
                }
                if (s_[pos_] == '}') {
                    ++pos_;
                    return v;
                }
                fail("expected ',' or '}' in an object, found '" + printable(s_[pos_]) + "'");
            }
        }
        if (c == '[') {
            if (depth >= kMaxDepth) fail("JSON nesting deeper than " + std::to_string(kMaxDepth));
            v.kind = JsonValue::Kind::Array;
            ++pos_;
            skip_ws();
            if (pos_ < s_.size() && s_[pos_] == ']') {
                ++pos_;
                return v;
            }
            for (;;) {
                skip_ws();
                v.items.push_back(parse_value(depth + 1));
                skip_ws();
                if (pos_ >= s_.size()) fail("unexpected end of the JSON text inside an array");
                if (s_[pos_] == ',') {
                    ++pos_;
                    continue;
                }
                if (s_[pos_] == ']') {
                    ++pos_;
                    return v;
                }
                fail("expected ',' or ']' in an array, found '" + printable(s_[pos_]) + "'");
            }
        }
        if (c == '"') {
            v.kind = JsonValue::Kind::String;
            v.text = parse_string();
            return v;
        }
        if (c == 't') {
            expect_literal("true");
            v.kind = JsonValue::Kind::Bool;
            v.boolean = true;
            return v;
        }
        if (c == 'f') {
            expect_literal("false");
            v.kind = JsonValue::Kind::Bool;
            return v;
        }
        if (c == 'n') {
            expect_literal("null");
            return v;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            v.kind = JsonValue::Kind::Number;
            v.text = parse_number();
            return v;
        }
        fail("unexpected '" + printable(c) + "' (expected a JSON value)");
    }

    std::string parse_number() {
        const std::size_t start = pos_;
        auto digit = [&] { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; };
        if (s_[pos_] == '-') ++pos_;
        if (!digit()) fail("invalid number: expected a digit");
        if (s_[pos_] == '0') {
            ++pos_;
            if (digit()) fail_at(start, "invalid number: leading zero");
        } else {
            while (digit()) ++pos_;
        }
        if (pos_ < s_.size() && s_[pos_] == '.') {
            ++pos_;
            if (!digit()) fail("invalid number: expected a digit after '.'");
            while (digit()) ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (!digit()) fail("invalid number: expected a digit in the exponent");
            while (digit()) ++pos_;
        }
        return std::string(s_.substr(start, pos_ - start));
    }

    unsigned hex4() {
        if (pos_ + 4 > s_.size()) fail("unexpected end of the JSON text in a \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = s_[pos_++];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= unsigned(h - '0');
            else if (h >= 'a' && h <= 'f') v |= unsigned(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') v |= unsigned(h - 'A' + 10);
            else fail_at(pos_ - 1, "invalid hex digit in a \\u escape");
        }
        return v;
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    // Validates one UTF-8 sequence starting at pos_ (a lead byte >= 0x80) and copies it.
    void copy_utf8_sequence(std::string& out) {
        const auto b0 = static_cast<unsigned char>(s_[pos_]);
        int len = 0;
        std::uint32_t cp = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) len = 2, cp = b0 & 0x1F;
        else if (b0 >= 0xE0 && b0 <= 0xEF) len = 3, cp = b0 & 0x0F;
        else if (b0 >= 0xF0 && b0 <= 0xF4) len = 4, cp = b0 & 0x07;
        else fail("invalid UTF-8 byte in a string");
        if (pos_ + std::size_t(len) > s_.size()) fail("truncated UTF-8 sequence in a string");
        for (int i = 1; i < len; ++i) {
            const auto b = static_cast<unsigned char>(s_[pos_ + std::size_t(i)]);
            if ((b & 0xC0) != 0x80) fail("invalid UTF-8 continuation byte in a string");
            cp = (cp << 6) | (b & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            fail("invalid UTF-8 sequence (overlong or surrogate) in a string");
        out.append(s_.substr(pos_, std::size_t(len)));
        pos_ += std::size_t(len);
    }

    std::string parse_string() {
        ++pos_;  // opening quote
        std::string out;
        for (;;) {
            if (pos_ >= s_.size()) fail("unterminated string");
            const char c = s_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string (must be escaped)");
            if (static_cast<unsigned char>(c) >= 0x80) {
                copy_utf8_sequence(out);
                continue;
            }
            if (c != '\\') {
                out += c;
                ++pos_;
                continue;
            }
            ++pos_;
            if (pos_ >= s_.size()) fail("unterminated escape in a string");
            const char e = s_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (s_.substr(pos_, 2) != "\\u") fail("unpaired UTF-16 surrogate in a \\u escape");
                        pos_ += 2;
                        const std::uint32_t lo = hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid UTF-16 low surrogate in a \\u escape");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("unpaired UTF-16 surrogate in a \\u escape");
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: fail_at(pos_ - 1, "invalid escape '\\" + printable(e) + "' in a string");
            }
        }
    }
};

inline std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (u < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", u);
                    out += buf;
                } else {
                    out += c;  // UTF-8 passes through unchanged
                }
        }
    }
    return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// Files.

inline std::string errno_text(int err) { return std::strerror(err); }

// a*b for non-negative values, nullopt on overflow of int64.
inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
    if (a != 0 && b > std::uint64_t(INT64_MAX) / a) return std::nullopt;
    return a * b;
}

// Non-negative integer JSON number (no sign, fraction or exponent) that fits in int64.
inline std::optional<std::uint64_t> json_uint(const JsonValue& v) {
    if (v.kind != JsonValue::Kind::Number || v.text.empty()) return std::nullopt;
    std::uint64_t x = 0;
    for (const char c : v.text) {
        if (c < '0' || c > '9') return std::nullopt;
        const std::uint64_t d = std::uint64_t(c - '0');
        if (x > (std::uint64_t(INT64_MAX) - d) / 10) return std::nullopt;
        x = x * 10 + d;
    }
    return x;
}

inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1Fu;
    std::uint32_t mant = h & 0x3FFu;
    std::uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            bits = sign | (std::uint32_t(127 - 15 - e) << 23) | ((mant & 0x3FFu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    return std::bit_cast<float>(bits);
}

inline float bf16_to_float(std::uint16_t h) { return std::bit_cast<float>(std::uint32_t(h) << 16); }

template <class T>
T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Reading.

class SafetensorsFile {
public:
    // Reads and validates a whole file. Throws SafetensorsError.
    static SafetensorsFile read(const std::filesystem::path& path);
    // Parses a file image held in memory; `source` names it in error messages.
    static SafetensorsFile parse(std::span<const std::byte> bytes, std::string source = "<memory>");

    // The tensor called `name`, or nullptr.
    const TensorRecord* find(std::string_view name) const {
        for (const auto& t : tensors_)
            if (t.name == name) return &t;
        return nullptr;
    }
    // The tensor called `name`; throws SafetensorsError naming the file and the tensor if absent.
    const TensorRecord& at(std::string_view name) const {
        if (const auto* t = find(name)) return *t;
        throw error(name, "no such tensor (the file has " + std::to_string(tensors_.size()) + ")");
    }
    bool contains(std::string_view name) const { return find(name) != nullptr; }

    // Tensor names in data order (by offset).
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        out.reserve(tensors_.size());
        for (const auto& t : tensors_) out.push_back(t.name);
        return out;
    }
    const std::vector<TensorRecord>& tensors() const { return tensors_; }
    std::size_t size() const { return tensors_.size(); }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    const std::string& source() const { return source_; }

    // Values converted to float: F32 as is; F64, F16 and BF16 converted. Other dtypes throw.
    std::vector<float> to_float(std::string_view name) const;
    // The same, after checking the shape (throws naming the tensor, expected and found shapes).
    std::vector<float> to_float(std::string_view name, const std::vector<std::int64_t>& expected_shape) const {
        expect_shape(name, expected_shape);
        return to_float(name);
    }
    // Values converted to double: F64 as is; F32, F16, BF16 widened. Other dtypes throw.
    std::vector<double> to_double(std::string_view name) const;
    // Integer values as int64: I64, I32, I16, I8, U8, U16, U32, BOOL; U64 above INT64_MAX throws.
    std::vector<std::int64_t> to_int64(std::string_view name) const;

    // Throws SafetensorsError unless tensor `name` exists with exactly this shape.
    const TensorRecord& expect_shape(std::string_view name, const std::vector<std::int64_t>& shape) const {
        const auto& t = at(name);
        if (t.shape != shape)
            throw error(name, "shape " + shape_string(t.shape) + ", expected " + shape_string(shape));
        return t;
    }

    // An error message in the house style: "safetensors: <file>: tensor '<name>': <problem>".
    SafetensorsError error(std::string_view tensor, const std::string& problem) const {
        return make_error(source_, tensor, problem);
    }
    static SafetensorsError make_error(std::string_view source, std::string_view tensor, const std::string& problem) {
        std::string m = "safetensors: " + std::string(source) + ": ";
        if (!tensor.empty()) m += "tensor '" + std::string(tensor) + "': ";
        return SafetensorsError(m + problem);
    }

private:
    struct Entry {
        std::string name;
        DType dtype;
        std::vector<std::int64_t> shape;
        std::uint64_t begin, end;
    };
    // Validates the header against a data section of `data_size` bytes; returns the entries sorted
    // by offset and fills metadata_.
    std::vector<Entry> parse_header(std::string_view header, std::uint64_t data_size);
    // Checks the 8-byte prefix against the total size; returns N.
    std::uint64_t check_prefix(const std::byte* prefix8, std::uint64_t total_size);

    std::string source_;
    std::vector<TensorRecord> tensors_;
    std::map<std::string, std::string> metadata_;
};

inline std::uint64_t SafetensorsFile::check_prefix(const std::byte* prefix8, std::uint64_t total_size) {
    const auto n = detail::load<std::uint64_t>(prefix8);
    if (n > kSafetensorsMaxHeader)
        throw error({}, "header too large: the length prefix says " + std::to_string(n) + " bytes, the limit is " +
                            std::to_string(kSafetensorsMaxHeader) + " (corrupt file, or not a safetensors file)");
    if (n > total_size - 8)
        throw error({}, "truncated file: the header is " + std::to_string(n) + " bytes but only " +
                            std::to_string(total_size - 8) + " bytes follow the 8-byte length prefix");
    if (n < 2) throw error({}, "invalid header: length " + std::to_string(n) + " is too small for a JSON object");
    return n;
}

inline std::vector<SafetensorsFile::Entry> SafetensorsFile::parse_header(std::string_view header,
                                                                         std::uint64_t data_size) {
    using detail::JsonValue;
    if (header.front() != '{')
        throw error({}, "invalid header: the JSON header must start with '{' (byte 8 of the file)");
    JsonValue root;
    try {
        root = detail::JsonParser(header).parse_document();
    } catch (const detail::JsonSyntaxError& e) {
        throw error({}, "invalid JSON in the header at byte offset " + std::to_string(e.offset) +
                            " of the header (file offset " + std::to_string(e.offset + 8) + "): " + e.what);
    }
    if (root.kind != JsonValue::Kind::Object) throw error({}, "invalid header: not a JSON object");

    std::vector<Entry> entries;
    entries.reserve(root.keys.size());
    bool seen_metadata = false;
    for (std::size_t i = 0; i < root.keys.size(); ++i) {
        const std::string& name = root.keys[i];
        const JsonValue& v = root.items[i];
        const std::string at = " (header byte offset " + std::to_string(v.offset) + ")";
        if (name == "__metadata__") {
            if (seen_metadata) throw error({}, "duplicate \"__metadata__\" object in the header" + at);
            seen_metadata = true;
            if (v.kind != JsonValue::Kind::Object)
                throw error({}, std::string("\"__metadata__\" must be an object of strings, found ") +
                                    detail::json_kind_name(v.kind) + at);
            for (std::size_t k = 0; k < v.keys.size(); ++k) {
                if (v.items[k].kind != JsonValue::Kind::String)
                    throw error({}, "\"__metadata__\" value for key \"" + v.keys[k] + "\" must be a string, found " +
                                        detail::json_kind_name(v.items[k].kind));
                if (!metadata_.emplace(v.keys[k], v.items[k].text).second)
                    throw error({}, "duplicate \"__metadata__\" key \"" + v.keys[k] + "\"");
            }
            continue;
        }
        if (v.kind != JsonValue::Kind::Object)
            throw error(name, std::string("header entry must be an object, found ") + detail::json_kind_name(v.kind) + at);
        for (std::size_t k = 0; k < v.keys.size(); ++k)
            for (std::size_t j = 0; j < k; ++j)
                if (v.keys[j] == v.keys[k]) throw error(name, "duplicate key \"" + v.keys[k] + "\" in the header entry" + at);
        const JsonValue* dt = v.member("dtype");
        const JsonValue* sh = v.member("shape");
        const JsonValue* off = v.member("data_offsets");
        if (!dt || !sh || !off) {
            throw error(name, std::string("header entry lacks \"") + (!dt ? "dtype" : !sh ? "shape" : "data_offsets") +
                                  "\"" + at);
        }
        if (dt->kind != JsonValue::Kind::String)
            throw error(name, std::string("\"dtype\" must be a string, found ") + detail::json_kind_name(dt->kind));
        const auto dtype = dtype_from_name(dt->text);
        if (!dtype)
            throw error(name, "unknown dtype \"" + dt->text +
                                  "\" (supported: BOOL U8 I8 F8_E5M2 F8_E4M3 I16 U16 F16 BF16 I32 U32 F32 F64 I64 U64)");
        if (sh->kind != JsonValue::Kind::Array)
            throw error(name, std::string("\"shape\" must be an array, found ") + detail::json_kind_name(sh->kind));
        Entry e{name, *dtype, {}, 0, 0};
        std::uint64_t numel = 1;
        bool overflow = false;
        for (const auto& d : sh->items) {
            const auto x = detail::json_uint(d);
            if (!x) throw error(name, "\"shape\" entries must be non-negative integers, found '" + d.text + "'");
            e.shape.push_back(std::int64_t(*x));
            if (auto m = detail::checked_mul(numel, *x)) numel = *m;
            else overflow = true;
        }
        if (off->kind != JsonValue::Kind::Array || off->items.size() != 2)
            throw error(name, "\"data_offsets\" must be an array [begin, end]" + at);
        const auto b = detail::json_uint(off->items[0]);
        const auto en = detail::json_uint(off->items[1]);
        if (!b || !en) throw error(name, "\"data_offsets\" must be non-negative integers" + at);
        e.begin = *b;
        e.end = *en;
        if (e.begin > e.end)
            throw error(name, "invalid data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                  "]: begin is after end");
        const auto bytes = overflow ? std::nullopt : detail::checked_mul(numel, dtype_size(*dtype));
        if (!bytes)
            throw error(name, "shape " + shape_string(e.shape) + " overflows the size of a tensor");
        if (*bytes != e.end - e.begin)
            throw error(name, "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] span " +
                                  std::to_string(e.end - e.begin) + " bytes, but dtype " +
                                  std::string(dtype_name(*dtype)) + " with shape " + shape_string(e.shape) +
                                  " needs " + std::to_string(*bytes) + " bytes");
        entries.push_back(std::move(e));
    }

    // Duplicate names: JSON allows them, the format does not (a map-based reader would silently
    // keep one of them). Found by sorting a copy of the names.
    {
        std::vector<std::string_view> sorted;
        sorted.reserve(entries.size());
        for (const auto& e : entries) sorted.push_back(e.name);
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 1; i < sorted.size(); ++i)
            if (sorted[i] == sorted[i - 1])
                throw error(sorted[i], "duplicate tensor name: the header lists it more than once");
    }

    // Coverage: sorted by offset, the tensors must tile [0, data_size) exactly.
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t expected = 0;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const Entry& e = entries[i];
        const std::string range = "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
        if (e.begin < expected)
            throw error(e.name, "data_offsets " + range + " overlap the previous tensor '" + entries[i - 1].name +
                                    "', which ends at " + std::to_string(expected));
        if (e.begin > expected)
            throw error(e.name, "data_offsets " + range + " leave a hole: bytes [" + std::to_string(expected) + ", " +
                                    std::to_string(e.begin) + ") of the data section belong to no tensor" +
                                    (i ? " (after '" + entries[i - 1].name + "')" : std::string(" (at the start)")));
        if (e.end > data_size)
            throw error(e.name, "data_offsets " + range + " are out of bounds: they point past the end of the " +
                                    std::to_string(data_size) + "-byte data section (the file is truncated, or the offsets are wrong)");
        expected = e.end;
    }
    if (expected != data_size)
        throw error({}, "the data section has " + std::to_string(data_size) + " bytes but the tensors cover only " +
                            std::to_string(expected) + " (trailing bytes after the last tensor)");
    return entries;
}

inline SafetensorsFile SafetensorsFile::parse(std::span<const std::byte> bytes, std::string source) {
    SafetensorsFile f;
    f.source_ = std::move(source);
    if (bytes.size() < 8)
        throw f.error({}, "truncated file: " + std::to_string(bytes.size()) +
                              " bytes, shorter than the 8-byte header length prefix");
    const std::uint64_t n = f.check_prefix(bytes.data(), bytes.size());
    const std::string_view header(reinterpret_cast<const char*>(bytes.data() + 8), std::size_t(n));
    const std::uint64_t data_size = bytes.size() - 8 - n;
    const auto entries = f.parse_header(header, data_size);
    const std::byte* data = bytes.data() + 8 + n;
    f.tensors_.reserve(entries.size());
    for (const auto& e : entries)
        f.tensors_.push_back(TensorRecord{e.name, e.dtype, e.shape,
                                          std::vector<std::byte>(data + e.begin, data + e.end)});
    return f;
}

inline SafetensorsFile SafetensorsFile::read(const std::filesystem::path& path) {
    SafetensorsFile f;
    f.source_ = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw f.error({}, "cannot open the file: " + detail::errno_text(errno));
    in.seekg(0, std::ios::end);
    const auto end_pos = in.tellg();
    if (end_pos < 0) throw f.error({}, "cannot determine the file size");
    const std::uint64_t total = std::uint64_t(end_pos);
    in.seekg(0, std::ios::beg);
    if (total < 8)
        throw f.error({}, "truncated file: " + std::to_string(total) +
                              " bytes, shorter than the 8-byte header length prefix");
    std::byte prefix[8];
    if (!in.read(reinterpret_cast<char*>(prefix), 8)) throw f.error({}, "read error in the length prefix");
    const std::uint64_t n = f.check_prefix(prefix, total);
    std::string header(std::size_t(n), '\0');
    if (!in.read(header.data(), std::streamsize(n))) throw f.error({}, "read error in the header");
    const auto entries = f.parse_header(header, total - 8 - n);
    // The entries tile the data section in order, so one sequential pass reads every tensor.
    f.tensors_.reserve(entries.size());
    for (const auto& e : entries) {
        TensorRecord r{e.name, e.dtype, e.shape, std::vector<std::byte>(std::size_t(e.end - e.begin))};
        if (!r.data.empty() && !in.read(reinterpret_cast<char*>(r.data.data()), std::streamsize(r.data.size())))
            throw f.error(e.name, "read error in the tensor data (was the file truncated while reading?)");
        f.tensors_.push_back(std::move(r));
    }
    return f;
}

inline std::vector<float> SafetensorsFile::to_float(std::string_view name) const {
    const auto& t = at(name);
    const std::size_t n = std::size_t(t.numel());
    std::vector<float> out(n);
    const std::byte* p = t.data.data();
    switch (t.dtype) {
        case DType::F32:
            if (n) std::memcpy(out.data(), p, n * 4);
            break;
        case DType::F64:
            for (std::size_t i = 0; i < n; ++i) out[i] = float(detail::load<double>(p + 8 * i));
            break;
        case DType::F16:
            for (std::size_t i = 0; i < n; ++i) out[i] = detail::half_to_float(detail::load<std::uint16_t>(p + 2 * i));
            break;
        case DType::BF16:
            for (std::size_t i = 0; i < n; ++i) out[i] = detail::bf16_to_float(detail::load<std::uint16_t>(p + 2 * i));
            break;
        default:
            throw error(name, "dtype " + std::string(dtype_name(t.dtype)) +
                                  " cannot be read as float (expected F32, F64, F16 or BF16)");
    }
    return out;
}

inline std::vector<double> SafetensorsFile::to_double(std::string_view name) const {
    const auto& t = at(name);
    const std::size_t n = std::size_t(t.numel());
    std::vector<double> out(n);
    const std::byte* p = t.data.data();
    switch (t.dtype) {
        case DType::F64:
            if (n) std::memcpy(out.data(), p, n * 8);
            break;
        case DType::F32:
            for (std::size_t i = 0; i < n; ++i) out[i] = detail::load<float>(p + 4 * i);
            break;
        case DType::F16:
            for (std::size_t i = 0; i < n; ++i) out[i] = detail::half_to_float(detail::load<std::uint16_t>(p + 2 * i));
            break;
        case DType::BF16:
            for (std::size_t i = 0; i < n; ++i) out[i] = detail::bf16_to_float(detail::load<std::uint16_t>(p + 2 * i));
            break;
        default:
            throw error(name, "dtype " + std::string(dtype_name(t.dtype)) +
                                  " cannot be read as double (expected F64, F32, F16 or BF16)");
    }
    return out;
}

inline std::vector<std::int64_t> SafetensorsFile::to_int64(std::string_view name) const {
    const auto& t = at(name);
    const std::size_t n = std::size_t(t.numel());
    std::vector<std::int64_t> out(n);
    const std::byte* p = t.data.data();
    for (std::size_t i = 0; i < n; ++i) {
        switch (t.dtype) {
            case DType::I64: out[i] = detail::load<std::int64_t>(p + 8 * i); break;
            case DType::I32: out[i] = detail::load<std::int32_t>(p + 4 * i); break;
            case DType::I16: out[i] = detail::load<std::int16_t>(p + 2 * i); break;
            case DType::I8: out[i] = detail::load<std::int8_t>(p + i); break;
            case DType::U8: out[i] = detail::load<std::uint8_t>(p + i); break;
            case DType::BOOL: out[i] = detail::load<std::uint8_t>(p + i) != 0; break;
            case DType::U16: out[i] = detail::load<std::uint16_t>(p + 2 * i); break;
            case DType::U32: out[i] = detail::load<std::uint32_t>(p + 4 * i); break;
            case DType::U64: {
                const auto v = detail::load<std::uint64_t>(p + 8 * i);
                if (v > std::uint64_t(INT64_MAX))
                    throw error(name, "U64 value " + std::to_string(v) + " at index " + std::to_string(i) +
                                          " does not fit in int64");
                out[i] = std::int64_t(v);
                break;
            }
            default:
                throw error(name, "dtype " + std::string(dtype_name(t.dtype)) +
                                      " cannot be read as int64 (expected an integer or BOOL dtype)");
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Writing.

class SafetensorsWriter {
public:
    // Adds a tensor; `data` must hold exactly numel(shape) * dtype_size(dtype) bytes (little-endian,
    // C order). Throws SafetensorsError on a duplicate or reserved name, a negative extent or a
    // size mismatch.
    SafetensorsWriter& add(std::string name, DType dtype, std::vector<std::int64_t> shape,
                           std::span<const std::byte> data) {
        auto bad = [&](const std::string& problem) {
            return SafetensorsFile::make_error("<writer>", name, problem);
        };
        if (name == "__metadata__") throw bad("the name \"__metadata__\" is reserved for the metadata object");
        for (const auto& t : tensors_)
            if (t.name == name) throw bad("duplicate tensor name: already added");
        std::uint64_t numel = 1;
        for (const auto d : shape) {
            if (d < 0) throw bad("negative extent in shape " + shape_string(shape));
            const auto m = detail::checked_mul(numel, std::uint64_t(d));
            if (!m) throw bad("shape " + shape_string(shape) + " overflows");
            numel = *m;
        }
        const auto bytes = detail::checked_mul(numel, dtype_size(dtype));
        if (!bytes || *bytes != data.size())
            throw bad("dtype " + std::string(dtype_name(dtype)) + " with shape " + shape_string(shape) + " needs " +
                      (bytes ? std::to_string(*bytes) : std::string("too many")) + " bytes, got " +
                      std::to_string(data.size()));
        tensors_.push_back(TensorRecord{std::move(name), dtype, std::move(shape),
                                        std::vector<std::byte>(data.begin(), data.end())});
        return *this;
    }
    SafetensorsWriter& add(TensorRecord r) { return add(std::move(r.name), r.dtype, std::move(r.shape), r.data); }

    SafetensorsWriter& add_f32(std::string name, std::vector<std::int64_t> shape, const float* data) {
        return add_typed(std::move(name), DType::F32, std::move(shape), data);
    }
    SafetensorsWriter& add_f64(std::string name, std::vector<std::int64_t> shape, const double* data) {
        return add_typed(std::move(name), DType::F64, std::move(shape), data);
    }
    SafetensorsWriter& add_i64(std::string name, std::vector<std::int64_t> shape, const std::int64_t* data) {
        return add_typed(std::move(name), DType::I64, std::move(shape), data);
    }

    SafetensorsWriter& set_metadata(std::string key, std::string value) {
        metadata_[std::move(key)] = std::move(value);
        return *this;
    }

    std::size_t size() const { return tensors_.size(); }

    // The file image. Tensors are laid out by decreasing element size (then in the order added), and
    // the header is padded with spaces to a multiple of 8, so every tensor is aligned to its element
    // size relative to the start of the file.
    std::vector<std::byte> serialize() const {
        std::vector<const TensorRecord*> order;
        for (const auto& t : tensors_) order.push_back(&t);
        std::stable_sort(order.begin(), order.end(),
                         [](const TensorRecord* a, const TensorRecord* b) { return dtype_size(a->dtype) > dtype_size(b->dtype); });
        std::string h = "{";
        bool first = true;
        if (!metadata_.empty()) {
            h += "\"__metadata__\":{";
            for (auto it = metadata_.begin(); it != metadata_.end(); ++it) {
                if (it != metadata_.begin()) h += ",";
                h += detail::json_quote(it->first) + ":" + detail::json_quote(it->second);
            }
            h += "}";
            first = false;
        }
        std::uint64_t offset = 0;
        for (const auto* t : order) {
            if (!first) h += ",";
            first = false;
            h += detail::json_quote(t->name) + ":{\"dtype\":\"" + std::string(dtype_name(t->dtype)) + "\",\"shape\":[";
            for (std::size_t i = 0; i < t->shape.size(); ++i) {
                if (i) h += ",";
                h += std::to_string(t->shape[i]);
            }
            h += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + t->data.size()) + "]}";
            offset += t->data.size();
        }
        h += "}";
        while ((8 + h.size()) % 8 != 0) h += ' ';
        std::vector<std::byte> out(8 + h.size() + offset);
        const std::uint64_t n = h.size();
        std::memcpy(out.data(), &n, 8);
        std::memcpy(out.data() + 8, h.data(), h.size());
        std::byte* p = out.data() + 8 + h.size();
        for (const auto* t : order) {
            if (!t->data.empty()) std::memcpy(p, t->data.data(), t->data.size());
            p += t->data.size();
        }
        return out;
    }

    // Writes atomically (temporary file, fsync, rename). Throws SafetensorsError naming the path.
    void write(const std::filesystem::path& path) const {
        const auto bytes = serialize();
        io::write_file_atomic(path, bytes, [&](const std::string& problem) {
            return SafetensorsFile::make_error(path.string(), {}, "cannot write: " + problem);
        });
    }

private:
    template <class T>
    SafetensorsWriter& add_typed(std::string name, DType dtype, std::vector<std::int64_t> shape, const T* data) {
        std::uint64_t numel = 1;
        for (const auto d : shape) numel *= d < 0 ? 0 : std::uint64_t(d);
        const auto* b = reinterpret_cast<const std::byte*>(data);
        // A negative extent gives numel 0 here; add() reports it.
        return add(std::move(name), dtype, std::move(shape), std::span<const std::byte>(b, std::size_t(numel) * sizeof(T)));
    }

    std::vector<TensorRecord> tensors_;
    std::map<std::string, std::string> metadata_;
};

}  // namespace salt::io
