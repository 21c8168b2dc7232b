// salt stats --data DIR [--png FILE]: counts, empty fraction, coverage and depth histograms and the
// image intensity mean/std of a TGS-layout data set; --png draws the histograms as bar charts.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "salt/data/tgs.hpp"
#include "salt/io/draw.hpp"
#include "salt/io/png.hpp"

namespace salt::cli {

Args stats_args() {
    Args a("stats", "Print statistics of a data set in the TGS layout.");
    a.required("data", "DIR", "data set in the TGS layout");
    a.option("png", "FILE", "also draw the histograms into this PNG");
    return a;
}

int cmd_stats(int argc, char** argv) {
    Args a = stats_args();
    a.parse(argc, argv);
    data::TgsOptions opt;
    opt.root = a.get("data");
    const auto ds = data::load_tgs(opt);
    const std::size_t n = ds.samples.size();
    std::size_t empty = 0, with_depth = 0;
    std::vector<double> cov_hist(11, 0.0), int_hist(32, 0.0), depth_hist(10, 0.0);
    double s = 0, s2 = 0, px = 0, zmin = 1e300, zmax = -1e300, cov_sum = 0;
    for (const auto& smp : ds.samples) {
        const int cls = smp.coverage_class();
        empty += cls == 0;
        cov_hist[std::size_t(cls)] += 1;
        cov_sum += smp.coverage();
        for (auto v : smp.image.pixels) {
            s += v;
            s2 += double(v) * v;
            int_hist[v / 8] += 1;
        }
        px += double(smp.image.size());
        if (smp.has_depth()) {
            ++with_depth;
            zmin = std::min(zmin, double(smp.depth));
            zmax = std::max(zmax, double(smp.depth));
        }
    }
    for (const auto& smp : ds.samples)
        if (smp.has_depth()) {
            const int b = zmax > zmin ? std::min(9, int((smp.depth - zmin) / (zmax - zmin) * 10)) : 0;
            depth_hist[std::size_t(b)] += 1;
        }
    const double mean = px > 0 ? s / px : 0, sd = px > 0 ? std::sqrt(std::max(0.0, s2 / px - mean * mean)) : 0;
    std::printf("data set      %s\n", opt.root.c_str());
    std::printf("samples       %zu (%dx%d)\n", n, ds.size, ds.size);
    std::printf("empty masks   %zu (%.1f%%)\n", empty, n ? 100.0 * double(empty) / double(n) : 0.0);
    std::printf("mean coverage %.4f\n", n ? cov_sum / double(n) : 0.0);
    std::printf("image mean    %.2f / 255 = %.4f\n", mean, mean / 255);
    std::printf("image std     %.2f / 255 = %.4f\n", sd, sd / 255);
    std::printf("coverage classes (0 = empty, k = coverage in ((k-1)/10, k/10]):\n");
    for (int k = 0; k <= 10; ++k) std::printf("  %2d %6.0f\n", k, cov_hist[std::size_t(k)]);
    if (with_depth) {
        std::printf("depth         %zu with depth, range %.0f .. %.0f\n", with_depth, zmin, zmax);
        for (int b = 0; b < 10; ++b)
            std::printf("  %6.0f .. %6.0f %6.0f\n", zmin + (zmax - zmin) * b / 10, zmin + (zmax - zmin) * (b + 1) / 10, depth_hist[std::size_t(b)]);
    } else {
        std::printf("depth         none\n");
    }
    if (a.has("png")) {
        std::vector<io::Image8> charts;
        charts.push_back(io::bar_chart(cov_hist, "COVERAGE CLASS (0 = EMPTY)", "0", "10"));
        if (with_depth)
            charts.push_back(io::bar_chart(depth_hist, "DEPTH", io::format_fixed(zmin, 0), io::format_fixed(zmax, 0), 360, 200, io::kGreen));
        charts.push_back(io::bar_chart(int_hist, "PIXEL INTENSITY", "0", "255", 360, 200, io::kYellow));
        io::write_png(a.get("png"), io::stack_vertical(charts));
        std::printf("wrote %s\n", a.get("png").c_str());
    }
    return 0;
}

}  // namespace salt::cli
