// salt/io/segy.hpp — post-stack 3D SEG-Y volumes in and out, through segyio (Debian: libsegyio-dev;
// the CMake target salt::segy links it). Optional: nothing else in salt includes this header.
//
// SegyReader opens a volume read-only, reads every trace header once and accepts only what salt segy
// can tile: one trace per (inline, crossline) on a full rectangular grid, sorted by inline then
// crossline or by crossline then inline, at least two lines in each direction (a 2D line is refused),
// one offset (post-stack), and a sample format it can convert (IBM float, IEEE float, 4-, 2- and
// 1-byte integers). Each refusal is one IoError naming the file and what was found.
//
// SegyWriter writes a volume of IEEE floats with given headers into a temporary file next to its
// destination and renames it into place on commit(), so a reader never sees a half-written volume;
// it can reopen that temporary file to continue an interrupted job.
#pragma once

#include <segyio/segy.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "salt/io/error.hpp"
#include "salt/io/file.hpp"

namespace salt::io {

enum class SegyAxis { inlines, crosslines };

inline const char* axis_name(SegyAxis a) { return a == SegyAxis::inlines ? "inline" : "crossline"; }

inline constexpr int kSegyTextHeaderBytes = 3200;
inline constexpr int kSegyBinaryHeaderBytes = 400;
inline constexpr int kSegyTraceHeaderBytes = 240;

// Where the traces of a volume lie, and what they hold.
struct SegyGeometry {
    int samples = 0;                // per trace
    int sample_interval_us = 0;     // from the binary header (bytes 3217-3218)
    int format = 0;                 // SEG-Y sample format code (bytes 3225-3226)
    bool inline_sorted = true;      // traces ordered by inline, then crossline (else the reverse)
    std::vector<int> inlines;       // inline numbers, in file order
    std::vector<int> crosslines;    // crossline numbers, in file order
    long trace0 = 3600;             // byte offset of the first trace header

    int inline_count() const { return int(inlines.size()); }
    int crossline_count() const { return int(crosslines.size()); }
    int traces() const { return inline_count() * crossline_count(); }
    // The trace number of (inline index il, crossline index xl).
    int trace_at(int il, int xl) const {
        return inline_sorted ? il * crossline_count() + xl : xl * inline_count() + il;
    }
    // Traces in one section along `axis`: an inline holds one trace per crossline, and so on.
    int section_traces(SegyAxis axis) const {
        return axis == SegyAxis::inlines ? crossline_count() : inline_count();
    }
    int sections(SegyAxis axis) const { return axis == SegyAxis::inlines ? inline_count() : crossline_count(); }
    // The trace number of trace t of section s along `axis`.
    int trace_of(SegyAxis axis, int s, int t) const { return axis == SegyAxis::inlines ? trace_at(s, t) : trace_at(t, s); }
};

inline const char* segy_format_name(int f) {
    switch (f) {
        case 1: return "4-byte IBM float";
        case 2: return "4-byte integer";
        case 3: return "2-byte integer";
        case 4: return "4-byte fixed point with gain";
        case 5: return "4-byte IEEE float";
        case 6: return "8-byte IEEE float";
        case 8: return "1-byte integer";
        default: return "unknown";
    }
}
inline int segy_format_bytes(int f) { return f == 3 ? 2 : f == 8 ? 1 : 4; }
inline bool segy_format_supported(int f) { return f == 1 || f == 2 || f == 3 || f == 5 || f == 8; }

namespace detail {

struct SegyFileCloser {
    void operator()(segy_file* f) const {
        if (f) segy_close(f);
    }
};

inline std::string segy_error_text(int code) {
    switch (code) {
        case SEGY_FOPEN_ERROR: return "cannot open the file";
        case SEGY_FSEEK_ERROR: return "seek failed (the file is shorter than its headers say?)";
        case SEGY_FREAD_ERROR: return "read failed (truncated file?)";
        case SEGY_FWRITE_ERROR: return "write failed (disk full or read-only?)";
        case SEGY_TRACE_SIZE_MISMATCH: return "the file size is not the headers plus a whole number of traces";
        case SEGY_INVALID_ARGS: return "invalid arguments to segyio";
        default: return "segyio error " + std::to_string(code);
    }
}

// A field of a raw trace header or binary header, by segyio's field codes (SEGY_TR_*, SEGY_BIN_*).
inline int trace_field(const char* header, int field) {
    std::int32_t v = 0;
    segy_get_field(header, field, &v);
    return v;
}
inline int binary_field(const char* header, int field) {
    std::int32_t v = 0;
    segy_get_bfield(header, field, &v);
    return v;
}

}  // namespace detail

class SegyReader {
public:
    explicit SegyReader(const std::filesystem::path& path) : path_(path) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(path, ec);
        if (ec) throw IoError(path.string(), "cannot read the file: " + ec.message());
        if (size < std::uintmax_t(kSegyTextHeaderBytes + kSegyBinaryHeaderBytes))
            throw IoError(path.string(), "not a SEG-Y file: " + std::to_string(size) +
                                             " bytes, fewer than the 3600 of its textual and binary headers");
        fp_.reset(segy_open(path.c_str(), "rb"));
        if (!fp_) throw IoError(path.string(), "cannot open the file");
        text_ascii_.assign(std::size_t(segy_textheader_size()), '\0');
        check(segy_read_textheader(fp_.get(), text_ascii_.data()), "reading the textual header");
        text_ascii_.resize(kSegyTextHeaderBytes);
        text_ = read_raw(0, kSegyTextHeaderBytes);
        binary_.assign(std::size_t(segy_binheader_size()), '\0');
        check(segy_binheader(fp_.get(), binary_.data()), "reading the binary header");

        SegyGeometry& g = geo_;
        g.format = detail::binary_field(binary_.data(), SEGY_BIN_FORMAT);
        g.samples = segy_samples(binary_.data());
        g.sample_interval_us = detail::binary_field(binary_.data(), SEGY_BIN_INTERVAL);
        g.trace0 = segy_trace0(binary_.data());
        if (!segy_format_supported(g.format)) {
            const int swapped = ((g.format & 0xff) << 8) | ((g.format >> 8) & 0xff);
            throw IoError(path.string(),
                          "unsupported sample format code " + std::to_string(g.format) + " (" + segy_format_name(g.format) +
                              ", binary header bytes 3225-3226); salt reads codes 1 (IBM float), 2, 3, 5 (IEEE float) "
                              "and 8" + (segy_format_supported(swapped) ? " (this looks like a little-endian file, "
                                                                          "which salt does not read)" : ""));
        }
        if (g.samples <= 0)
            throw IoError(path.string(), "the binary header gives " + std::to_string(g.samples) +
                                             " samples per trace (bytes 3221-3222)");
        if (g.trace0 < kSegyTextHeaderBytes + kSegyBinaryHeaderBytes || std::uintmax_t(g.trace0) > size)
            throw IoError(path.string(), "the binary header declares extended textual headers that do not fit the file");
        check(segy_set_format(fp_.get(), g.format), "setting the sample format");
        trace_bytes_ = segy_trsize(g.format, g.samples);
        const std::uintmax_t body = size - std::uintmax_t(g.trace0);
        const std::uintmax_t per_trace = std::uintmax_t(kSegyTraceHeaderBytes + trace_bytes_);
        if (body == 0) throw IoError(path.string(), "no traces after the headers");
        if (body % per_trace != 0)
            throw IoError(path.string(), "truncated or malformed: " + std::to_string(body) + " bytes of traces are not " +
                                             "a whole number of " + std::to_string(per_trace) + "-byte traces (" +
                                             std::to_string(g.samples) + " samples of " +
                                             std::to_string(segy_format_bytes(g.format)) + " bytes plus a 240-byte header)");
        traces_ = int(body / per_trace);
        read_grid();
    }

    const std::filesystem::path& path() const { return path_; }
    const SegyGeometry& geometry() const { return geo_; }
    const std::string& text_header() const { return text_; }               // 3200 bytes as stored (EBCDIC, usually)
    const std::string& text_header_ascii() const { return text_ascii_; }    // the same, decoded from EBCDIC
    const std::vector<char>& binary_header() const { return binary_; }  // 400 bytes as stored
    // The raw extended textual headers between the binary header and the first trace, if any.
    std::vector<char> extended_headers() const {
        const std::string b = read_raw(3600, std::size_t(geo_.trace0 - 3600));
        return {b.begin(), b.end()};
    }
    std::array<char, kSegyTraceHeaderBytes> trace_header(int trace) const {
        std::array<char, kSegyTraceHeaderBytes> h{};
        check(segy_traceheader(fp_.get(), trace, h.data(), geo_.trace0, trace_bytes_),
              "reading the header of trace " + std::to_string(trace));
        return h;
    }

    // The samples of one trace as floats.
    void read_trace(int trace, float* out) const {
        buffer_.resize(std::size_t(trace_bytes_));
        check(segy_readtrace(fp_.get(), trace, buffer_.data(), geo_.trace0, trace_bytes_),
              "reading trace " + std::to_string(trace));
        to_float(buffer_.data(), out);
    }
    // Section s along `axis`: section_traces(axis) traces of `samples` floats, trace after trace.
    void read_section(SegyAxis axis, int s, std::vector<float>& out) const {
        const int n = geo_.section_traces(axis);
        out.resize(std::size_t(n) * std::size_t(geo_.samples));
        for (int t = 0; t < n; ++t) read_trace(geo_.trace_of(axis, s, t), out.data() + std::size_t(t) * geo_.samples);
    }

private:
    void check(int rc, const std::string& what) const {
        if (rc != SEGY_OK) throw IoError(path_.string(), what + ": " + detail::segy_error_text(rc));
    }
    std::string read_raw(long offset, std::size_t n) const {
        std::string b(n, '\0');
        if (n == 0) return b;
        std::FILE* f = std::fopen(path_.c_str(), "rb");
        if (!f) throw IoError(path_.string(), "cannot open the file");
        const bool ok = std::fseek(f, offset, SEEK_SET) == 0 && std::fread(b.data(), 1, n, f) == n;
        std::fclose(f);
        if (!ok) throw IoError(path_.string(), "cannot read " + std::to_string(n) + " header bytes at offset " + std::to_string(offset));
        return b;
    }

    void to_float(char* raw, float* out) const {
        const int f = geo_.format, n = geo_.samples;
        check(segy_to_native(f, n, raw), "converting samples");
        if (f == 1 || f == 5) {
            std::memcpy(out, raw, std::size_t(n) * 4);
        } else if (f == 2) {
            for (int i = 0; i < n; ++i) {
                std::int32_t v;
                std::memcpy(&v, raw + 4 * i, 4);
                out[i] = float(v);
            }
        } else if (f == 3) {
            for (int i = 0; i < n; ++i) {
                std::int16_t v;
                std::memcpy(&v, raw + 2 * i, 2);
                out[i] = float(v);
            }
        } else {
            for (int i = 0; i < n; ++i) out[i] = float(static_cast<signed char>(raw[i]));
        }
    }

    // Reads every trace's inline and crossline number (bytes 189 and 193) and accepts only a full,
    // sorted rectangular grid.
    void read_grid() {
        const std::string& file = path_.string();
        std::vector<std::pair<int, int>> ilxl(static_cast<std::size_t>(traces_));
        std::array<char, kSegyTraceHeaderBytes> h{};
        for (int t = 0; t < traces_; ++t) {
            check(segy_traceheader(fp_.get(), t, h.data(), geo_.trace0, trace_bytes_),
                  "reading the header of trace " + std::to_string(t));
            ilxl[std::size_t(t)] = {detail::trace_field(h.data(), SEGY_TR_INLINE),
                                    detail::trace_field(h.data(), SEGY_TR_CROSSLINE)};
            const int ns = detail::trace_field(h.data(), SEGY_TR_SAMPLE_COUNT);
            if (ns != 0 && ns != geo_.samples)
                throw IoError(file, "trace " + std::to_string(t) + " declares " + std::to_string(ns) +
                                        " samples, the binary header " + std::to_string(geo_.samples) +
                                        " (salt reads volumes whose traces all have one length)");
        }
        if (traces_ == 1) throw IoError(file, "one trace, not a 3D volume");
        // Several traces at one position are a pre-stack gather (offsets), not a post-stack volume.
        for (int t = 0; t + 1 < traces_; ++t)
            if (ilxl[std::size_t(t)] == ilxl[std::size_t(t) + 1])
                throw IoError(file, "pre-stack data: traces " + std::to_string(t) + " and " + std::to_string(t + 1) +
                                        " are both at inline " + std::to_string(ilxl[std::size_t(t)].first) + ", crossline " +
                                        std::to_string(ilxl[std::size_t(t)].second) +
                                        " (several offsets); salt segy reads post-stack volumes, one trace per position");
        // The faster-changing key: inline-sorted files keep the inline of trace 0 for a whole line.
        const bool inline_sorted = ilxl[0].first == ilxl[1].first;
        geo_.inline_sorted = inline_sorted;
        auto slow = [&](int t) { return inline_sorted ? ilxl[std::size_t(t)].first : ilxl[std::size_t(t)].second; };
        auto fast = [&](int t) { return inline_sorted ? ilxl[std::size_t(t)].second : ilxl[std::size_t(t)].first; };
        int line_length = 1;
        while (line_length < traces_ && slow(line_length) == slow(0)) ++line_length;
        if (line_length == traces_ || line_length == 1) {
            const bool one_inline = (line_length == traces_) == inline_sorted;
            throw IoError(file, std::string("a 2D line (") + (one_inline ? "one inline" : "one crossline") + ", " +
                                    std::to_string(traces_) + " traces), not a 3D volume: salt segy needs at least "
                                    "two inlines and two crosslines");
        }
        if (traces_ % line_length != 0)
            throw IoError(file, "irregular geometry: " + std::to_string(traces_) + " traces are not whole lines of " +
                                    std::to_string(line_length) + " (the first line's length)");
        const int lines = traces_ / line_length;
        std::vector<int> slow_keys(static_cast<std::size_t>(lines)), fast_keys(static_cast<std::size_t>(line_length));
        for (int x = 0; x < line_length; ++x) fast_keys[std::size_t(x)] = fast(x);
        for (int l = 0; l < lines; ++l) {
            slow_keys[std::size_t(l)] = slow(l * line_length);
            for (int x = 0; x < line_length; ++x) {
                const int t = l * line_length + x;
                if (slow(t) != slow_keys[std::size_t(l)] || fast(t) != fast_keys[std::size_t(x)])
                    throw IoError(file, "irregular or unsorted geometry at trace " + std::to_string(t) + ": inline " +
                                            std::to_string(ilxl[std::size_t(t)].first) + ", crossline " +
                                            std::to_string(ilxl[std::size_t(t)].second) + " where the grid of the first " +
                                            std::string(inline_sorted ? "inline" : "crossline") + " expects " +
                                            std::string(inline_sorted ? "inline " : "crossline ") +
                                            std::to_string(slow_keys[std::size_t(l)]) + ", " +
                                            std::string(inline_sorted ? "crossline " : "inline ") +
                                            std::to_string(fast_keys[std::size_t(x)]) +
                                            " (salt reads full rectangular volumes sorted by inline or by crossline)");
            }
        }
        auto strictly_monotonic = [](const std::vector<int>& v) {
            bool up = true, down = true;
            for (std::size_t i = 1; i < v.size(); ++i) {
                up = up && v[i] > v[i - 1];
                down = down && v[i] < v[i - 1];
            }
            return up || down;
        };
        if (!strictly_monotonic(slow_keys) || !strictly_monotonic(fast_keys))
            throw IoError(file, "unsorted geometry: the inline or crossline numbers repeat or change direction "
                                "(salt reads volumes sorted by inline or by crossline)");
        geo_.inlines = inline_sorted ? slow_keys : fast_keys;
        geo_.crosslines = inline_sorted ? fast_keys : slow_keys;
    }

    std::filesystem::path path_;
    std::unique_ptr<segy_file, detail::SegyFileCloser> fp_;
    std::string text_, text_ascii_;
    std::vector<char> binary_;
    SegyGeometry geo_;
    int trace_bytes_ = 0;
    int traces_ = 0;
    mutable std::vector<char> buffer_;
};

// Writes a volume of IEEE-float traces: textual, binary (its format code set to 5, its sample count
// to `samples`) and extended headers as given, then one trace header and trace per trace number.
// Everything goes to `temp` (default: a temporary name next to `path`); commit() makes it `path`.
class SegyWriter {
public:
    // A new file. `text_header` is written as stored, or, with `text_is_ascii`, encoded as EBCDIC (the
    // standard's encoding, which segyio and most readers decode).
    SegyWriter(const std::filesystem::path& path, const std::string& text_header, std::vector<char> binary_header,
               const std::vector<char>& extended_headers, int samples, int traces,
               std::filesystem::path temp = {}, bool text_is_ascii = false)
        : path_(path), temp_(temp.empty() ? temp_path_for(path) : std::move(temp)), samples_(samples), traces_(traces) {
        binary_header.resize(std::size_t(kSegyBinaryHeaderBytes), '\0');
        segy_set_bfield(binary_header.data(), SEGY_BIN_FORMAT, SEGY_IEEE_FLOAT_4_BYTE);
        segy_set_bfield(binary_header.data(), SEGY_BIN_SAMPLES, samples);
        segy_set_bfield(binary_header.data(), SEGY_BIN_EXT_HEADERS,
                        int(extended_headers.size() / std::size_t(kSegyTextHeaderBytes)));
        trace0_ = 3600 + long(extended_headers.size());
        fp_.reset(segy_open(temp_.c_str(), "w+b"));
        if (!fp_) throw IoError(path.string(), "cannot create " + temp_.string());
        std::string text = text_header;
        text.resize(std::size_t(kSegyTextHeaderBytes), ' ');
        std::vector<char> raw(text.begin(), text.end());
        raw.insert(raw.end(), binary_header.begin(), binary_header.end());
        raw.insert(raw.end(), extended_headers.begin(), extended_headers.end());
        // The headers as stored (segy_write_textheader would re-encode the text as EBCDIC).
        write_raw_at(0, raw);
        if (text_is_ascii) check(segy_write_textheader(fp_.get(), 0, text.c_str()), "writing the textual header");
        check(segy_set_format(fp_.get(), SEGY_IEEE_FLOAT_4_BYTE), "setting the sample format");
    }
    // Reopens an unfinished temporary file written by an earlier writer of the same volume.
    static SegyWriter reopen(const std::filesystem::path& path, const std::filesystem::path& temp, long trace0,
                             int samples, int traces) {
        SegyWriter w;
        w.path_ = path;
        w.temp_ = temp;
        w.samples_ = samples;
        w.traces_ = traces;
        w.trace0_ = trace0;
        w.fp_.reset(segy_open(temp.c_str(), "r+b"));
        if (!w.fp_) throw IoError(path.string(), "cannot reopen the unfinished " + temp.string());
        w.check(segy_set_format(w.fp_.get(), SEGY_IEEE_FLOAT_4_BYTE), "setting the sample format");
        return w;
    }

    SegyWriter(SegyWriter&&) = default;
    SegyWriter& operator=(SegyWriter&&) = default;
    ~SegyWriter() = default;  // an uncommitted temporary file stays, for a resume (or the caller removes it)

    const std::filesystem::path& temp_path() const { return temp_; }
    long trace0() const { return trace0_; }

    void write_trace_header(int trace, const std::array<char, kSegyTraceHeaderBytes>& header) {
        std::array<char, kSegyTraceHeaderBytes> h = header;
        segy_set_field(h.data(), SEGY_TR_SAMPLE_COUNT, samples_);
        check(segy_write_traceheader(fp_.get(), trace, h.data(), trace0_, samples_ * 4),
              "writing the header of trace " + std::to_string(trace));
    }
    void write_trace(int trace, const float* samples) {
        buffer_.assign(reinterpret_cast<const char*>(samples), reinterpret_cast<const char*>(samples) + 4 * samples_);
        check(segy_from_native(SEGY_IEEE_FLOAT_4_BYTE, samples_, buffer_.data()), "converting samples");
        check(segy_writetrace(fp_.get(), trace, buffer_.data(), trace0_, samples_ * 4),
              "writing trace " + std::to_string(trace));
    }
    void read_trace(int trace, float* out) {
        buffer_.resize(std::size_t(samples_) * 4);
        check(segy_readtrace(fp_.get(), trace, buffer_.data(), trace0_, samples_ * 4), "reading back trace " + std::to_string(trace));
        check(segy_to_native(SEGY_IEEE_FLOAT_4_BYTE, samples_, buffer_.data()), "converting samples");
        std::memcpy(out, buffer_.data(), std::size_t(samples_) * 4);
    }
    // Hands what was written to the operating system (it survives the process being killed).
    void flush() { check(segy_flush(fp_.get(), false), "flushing"); }
    // Flushes, closes and renames the temporary file to the destination.
    void commit() {
        check(segy_flush(fp_.get(), false), "flushing");
        const int rc = segy_close(fp_.release());
        if (rc != SEGY_OK) throw IoError(path_.string(), "closing: " + detail::segy_error_text(rc));
        const auto expected = std::uintmax_t(trace0_) + std::uintmax_t(traces_) * std::uintmax_t(240 + 4 * samples_);
        std::error_code ec;
        const auto size = std::filesystem::file_size(temp_, ec);
        if (ec || size != expected)
            throw IoError(path_.string(), "the written volume is " + std::to_string(ec ? 0 : size) + " bytes, not " +
                                              std::to_string(expected) + " (disk full?)");
        std::filesystem::rename(temp_, path_, ec);
        if (ec) throw IoError(path_.string(), "cannot rename " + temp_.string() + " into place: " + ec.message());
    }

private:
    SegyWriter() = default;
    void check(int rc, const std::string& what) const {
        if (rc != SEGY_OK) throw IoError(path_.string(), what + ": " + detail::segy_error_text(rc));
    }
    void write_raw_at(long offset, const std::vector<char>& bytes) {
        std::FILE* f = std::fopen(temp_.c_str(), "r+b");
        if (!f) throw IoError(path_.string(), "cannot write " + temp_.string());
        const bool ok = std::fseek(f, offset, SEEK_SET) == 0 && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
        const bool closed = std::fclose(f) == 0;
        if (!ok || !closed) throw IoError(path_.string(), "writing the headers failed (disk full or read-only?)");
    }

    std::filesystem::path path_, temp_;
    std::unique_ptr<segy_file, detail::SegyFileCloser> fp_;
    int samples_ = 0, traces_ = 0;
    long trace0_ = 3600;
    std::vector<char> buffer_;
};

// Headers for a new volume: a textual header of the given lines (ASCII, 40 card images of 80
// characters, each starting "C nn"), a binary header with the sample count and interval, and the trace
// header of (inline number, crossline number) with its CDP coordinates at `spacing` metres a line.
inline std::string segy_text_header(const std::vector<std::string>& lines) {
    std::string t;
    for (int i = 0; i < 40; ++i) {
        char card[81];
        std::snprintf(card, sizeof card, "C%2d %-76.76s", i + 1,
                      std::size_t(i) < lines.size() ? lines[std::size_t(i)].c_str() : "");
        t.append(card, 80);
    }
    return t;
}
inline std::vector<char> segy_binary_header(int samples, int sample_interval_us) {
    std::vector<char> b(std::size_t(kSegyBinaryHeaderBytes), '\0');
    segy_set_bfield(b.data(), SEGY_BIN_INTERVAL, sample_interval_us);
    segy_set_bfield(b.data(), SEGY_BIN_SAMPLES, samples);
    segy_set_bfield(b.data(), SEGY_BIN_FORMAT, SEGY_IEEE_FLOAT_4_BYTE);
    segy_set_bfield(b.data(), SEGY_BIN_SORTING_CODE, 4);  // post-stack, ensembles by inline
    segy_set_bfield(b.data(), SEGY_BIN_MEASUREMENT_SYSTEM, 1);  // metres
    segy_set_bfield(b.data(), SEGY_BIN_SEGY_REVISION, 0x0100);
    segy_set_bfield(b.data(), SEGY_BIN_TRACE_FLAG, 1);  // fixed-length traces
    return b;
}
inline std::array<char, kSegyTraceHeaderBytes> segy_trace_header(int trace, int inline_no, int crossline_no, int samples,
                                                                int sample_interval_us, double spacing = 25.0) {
    std::array<char, kSegyTraceHeaderBytes> h{};
    segy_set_field(h.data(), SEGY_TR_SEQ_LINE, trace + 1);
    segy_set_field(h.data(), SEGY_TR_SEQ_FILE, trace + 1);
    segy_set_field(h.data(), SEGY_TR_TRACE_ID, 1);  // seismic data
    segy_set_field(h.data(), SEGY_TR_SAMPLE_COUNT, samples);
    segy_set_field(h.data(), SEGY_TR_SAMPLE_INTER, sample_interval_us);
    segy_set_field(h.data(), SEGY_TR_INLINE, inline_no);
    segy_set_field(h.data(), SEGY_TR_CROSSLINE, crossline_no);
    segy_set_field(h.data(), SEGY_TR_SOURCE_GROUP_SCALAR, 1);
    segy_set_field(h.data(), SEGY_TR_CDP_X, int(std::lround(crossline_no * spacing)));
    segy_set_field(h.data(), SEGY_TR_CDP_Y, int(std::lround(inline_no * spacing)));
    return h;
}

// Writes a whole volume sorted by inline: `trace(il, xl)` gives the samples of inline index il,
// crossline index xl (numbered from first_inline / first_crossline). Atomic (temporary file, rename).
template <class TraceFn>
void write_segy_volume(const std::filesystem::path& path, int inlines, int crosslines, int samples,
                       int sample_interval_us, int first_inline, int first_crossline,
                       const std::vector<std::string>& text_lines, TraceFn trace) {
    SegyWriter w(path, segy_text_header(text_lines), segy_binary_header(samples, sample_interval_us), {}, samples,
                 inlines * crosslines, {}, /*text_is_ascii=*/true);
    try {
        for (int il = 0; il < inlines; ++il)
            for (int xl = 0; xl < crosslines; ++xl) {
                const int t = il * crosslines + xl;
                w.write_trace_header(t, segy_trace_header(t, first_inline + il, first_crossline + xl, samples,
                                                          sample_interval_us));
                w.write_trace(t, trace(il, xl));
            }
        w.commit();
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove(w.temp_path(), ec);
        throw;
    }
}

}  // namespace salt::io
