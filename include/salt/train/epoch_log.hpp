// salt/train/epoch_log.hpp — RUN/log.csv, one line per finished epoch: written by the trainer after
// every epoch and read back on --resume (the learning curves continue). Numbers are written with
// std::to_chars and read with std::from_chars, so the file is the same under any C locale a host
// program sets (printf/scanf would write and expect "0,5" under a comma-decimal LC_NUMERIC).
#pragma once

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "salt/io/error.hpp"
#include "salt/io/lines.hpp"
#include "salt/io/number.hpp"

namespace salt::train {

struct EpochRecord {
    int epoch = 0;
    double lr = 0, train_loss = 0, val_loss = 0, val_iou = 0, val_dice = 0, val_map = 0, seconds = 0, images_per_s = 0;
};

inline constexpr std::string_view kEpochLogHeader = "epoch,lr,train_loss,val_loss,val_iou,val_dice,val_map,seconds,images_per_s";

namespace detail {
inline void append_number(std::string& s, double v, std::chars_format f, int precision) {
    char b[64];
    const auto r = std::to_chars(b, b + sizeof b, v, f, precision);
    s.append(b, r.ec == std::errc() ? r.ptr : b);
}
}  // namespace detail

// The whole file: the header, then one line per record (lr to 6 significant digits, losses and
// metrics to 6 decimals, seconds and images/s to 2).
inline std::string epoch_log_csv(const std::vector<EpochRecord>& h) {
    std::string s(kEpochLogHeader);
    s += '\n';
    for (const auto& r : h) {
        s += std::to_string(r.epoch);
        s += ',';
        detail::append_number(s, r.lr, std::chars_format::general, 6);
        for (double v : {r.train_loss, r.val_loss, r.val_iou, r.val_dice, r.val_map}) {
            s += ',';
            detail::append_number(s, v, std::chars_format::fixed, 6);
        }
        for (double v : {r.seconds, r.images_per_s}) {
            s += ',';
            detail::append_number(s, v, std::chars_format::fixed, 2);
        }
        s += '\n';
    }
    return s;
}

// The records of epochs 1..up_to_epoch. A file that is not such a log (another header, a line that
// is not nine numbers, epochs out of order) is an IoError naming `source` and the line: a resume
// never continues from curves it misread.
inline std::vector<EpochRecord> parse_epoch_log(std::string_view text, const std::string& source, int up_to_epoch) {
    std::vector<EpochRecord> h;
    long lines = 0;
    io::for_each_line(text, [&](std::string_view line, long line_no) {
        lines = line_no;
        if (line_no == 1) {
            if (line != kEpochLogHeader) throw io::IoError(source, "not a salt training log (expected the header '" + std::string(kEpochLogHeader) + "')", 1);
            return;
        }
        if (line.empty()) return;
        std::vector<std::string_view> f;
        for (std::size_t a = 0;;) {
            const std::size_t c = line.find(',', a);
            f.push_back(line.substr(a, c == std::string_view::npos ? std::string_view::npos : c - a));
            if (c == std::string_view::npos) break;
            a = c + 1;
        }
        if (f.size() != 9) throw io::IoError(source, "expected 9 comma-separated values, found " + std::to_string(f.size()), line_no);
        EpochRecord r;
        const auto epoch = io::to_integer(f[0]);
        if (!epoch || *epoch < 1 || *epoch > 1000000 || (!h.empty() && *epoch <= h.back().epoch))
            throw io::IoError(source, "the epoch '" + std::string(f[0]) + "' is not a number after the previous line's", line_no);
        r.epoch = int(*epoch);
        double* values[8] = {&r.lr, &r.train_loss, &r.val_loss, &r.val_iou, &r.val_dice, &r.val_map, &r.seconds, &r.images_per_s};
        for (int i = 0; i < 8; ++i) {
            const auto v = io::to_real(f[std::size_t(i) + 1]);
            if (!v) throw io::IoError(source, "column " + std::to_string(i + 2) + ": '" + std::string(f[std::size_t(i) + 1]) + "' is not a finite number", line_no);
            *values[i] = *v;
        }
        if (r.epoch <= up_to_epoch) h.push_back(r);
    });
    if (lines == 0) throw io::IoError(source, "empty (a salt training log starts with a header line)");
    return h;
}

}  // namespace salt::train
