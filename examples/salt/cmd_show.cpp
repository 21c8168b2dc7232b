// salt show --data DIR [--predictions DIR] --out grid.png [--count N] [--columns C] [--scale K]
//
// A PNG grid with one tile per sample: image | truth | prediction overlay. The truth panel shows the mask
// in white; the prediction panel is the image with the predicted salt in translucent red and the truth
// contour drawn over in yellow, labelled with the IoU. Without --predictions: image | truth (the truth
// panel also gets the contour over the image, labelled with the coverage). Predictions are PNGs named
// <id>.png (8- or 16-bit gray, any size equal to the image): salt where the value is at least half scale.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "commands.hpp"
#include "salt/data/tgs.hpp"
#include "salt/io/draw.hpp"
#include "salt/io/png.hpp"

namespace salt::cli {

Args show_args() {
    Args a("show", "Draw image | truth | prediction overlay tiles (with IoU) for the first N samples of a data set\n"
                   "(with --predictions: the first N samples that have a prediction).");
    a.required("data", "DIR", "data set in the TGS layout");
    a.option("predictions", "DIR", "predicted masks as <id>.png");
    a.required("out", "FILE", "output PNG");
    a.option("count", "N", "number of samples", "12");
    a.option("columns", "C", "tiles per row", "2");
    a.option("scale", "K", "pixel magnification", "2");
    return a;
}

namespace {

std::vector<std::uint8_t> load_prediction(const std::filesystem::path& path, int size) {
    const auto p = io::read_png_gray16(path);
    if (p.width != size || p.height != size)
        throw io::IoError(path.string(), "prediction is " + std::to_string(p.width) + "x" + std::to_string(p.height) + ", expected " +
                                             std::to_string(size) + "x" + std::to_string(size));
    std::vector<std::uint8_t> m(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) m[i] = p.pixels[i] >= 32768 ? 1 : 0;
    return m;
}

}  // namespace

int cmd_show(int argc, char** argv) {
    Args a = show_args();
    a.parse(argc, argv);
    const int count = int(a.get_int("count", 1, 10000)), columns = int(a.get_int("columns", 1, 64)), scale = int(a.get_int("scale", 1, 8));
    data::TgsOptions opt;
    opt.root = a.get("data");
    const auto ds = data::load_tgs(opt);
    const bool preds = a.has("predictions");
    const std::filesystem::path pred_dir = a.get("predictions");
    if (preds) {
        std::error_code ec;
        if (!std::filesystem::is_directory(pred_dir, ec)) throw io::IoError(pred_dir.string(), "cannot read directory: not a directory");
    }
    // With predictions, the samples shown are those that have a prediction (the first N of them, in
    // data-set order); without, the first N samples.
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < ds.samples.size() && int(chosen.size()) < count; ++i)
        if (!preds || std::filesystem::exists(pred_dir / (ds.samples[i].id + ".png"))) chosen.push_back(i);
    const int n = int(chosen.size());
    if (n == 0)
        throw io::IoError(preds ? pred_dir.string() : opt.root.string(),
                          preds ? "no prediction PNG is named after a sample of the data set" : "the data set is empty");
    const int S = ds.size * scale, gap = 4, label_h = 12;
    const int panels = preds ? 3 : 2;
    const int tile_w = panels * S + (panels - 1) * gap, tile_h = S + label_h;
    const int cols = std::min(columns, n), rows = (n + cols - 1) / cols;
    auto canvas = io::make_canvas(cols * tile_w + (cols + 1) * 8, rows * tile_h + (rows + 1) * 8);
    double iou_sum = 0;
    for (int i = 0; i < n; ++i) {
        const auto& s = ds.samples[chosen[std::size_t(i)]];
        const int x = 8 + (i % cols) * (tile_w + 8), y = 8 + (i / cols) * (tile_h + 8);
        io::draw_text(canvas, x, y + 2, s.id, io::kGray);
        const int py = y + label_h;
        io::blit(canvas, s.image, x, py, scale);
        // Truth panel: the mask, white on black.
        io::Image8 m(ds.size, ds.size, 1);
        for (std::size_t p = 0; p < m.size(); ++p) m.pixels[p] = s.mask[p] ? 255 : 0;
        io::blit(canvas, m, x + S + gap, py, scale);
        io::draw_label(canvas, x + S + gap + 2, py + 2, "COV " + io::format_fixed(100 * s.coverage(), 1) + "%", io::kWhite, io::kBlack);
        if (preds) {
            const auto pred = load_prediction(pred_dir / (s.id + ".png"), ds.size);
            const double iou = data::mask_iou(pred, s.mask);
            iou_sum += iou;
            const int px = x + 2 * (S + gap);
            io::blit(canvas, s.image, px, py, scale);
            io::overlay_mask(canvas, pred, ds.size, ds.size, px, py, io::kRed, 0.45f, scale);
            io::draw_contour(canvas, s.mask, ds.size, ds.size, px, py, io::kYellow, scale);
            io::draw_label(canvas, px + 2, py + 2, "IOU " + io::format_fixed(iou, 2), io::kWhite, io::kBlack);
        } else {
            io::draw_contour(canvas, s.mask, ds.size, ds.size, x, py, io::kYellow, scale);
        }
    }
    io::write_png(a.get("out"), canvas);
    if (preds) std::printf("wrote %s: %d samples, mean IoU %.4f\n", a.get("out").c_str(), n, iou_sum / n);
    else std::printf("wrote %s: %d samples\n", a.get("out").c_str(), n);
    return 0;
}

}  // namespace salt::cli
