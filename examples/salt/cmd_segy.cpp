// salt segy --weights W --in VOLUME.sgy --out SALT.sgy [--axis inline|crossline|both] [--mask-out FILE] ...:
// a salt-probability volume for a post-stack 3D SEG-Y volume, with the input's geometry, textual,
// binary and trace headers (samples as IEEE floats).
//
// How: amplitudes are clipped at the volume's --clip-percentile and 100 - that percentile (from up to
// 2,048 evenly spaced traces) and mapped to 8-bit grey levels, as a TGS image is a clipped 8-bit
// section; every section along the axis becomes overlapping 101x101 patches (depth down, traces
// across, as TGS's images lie), which the model predicts as `salt predict` does (the weights' own
// preprocessing, TTA if asked); the patches' probabilities are blended with a raised-cosine window.
// `--axis both` averages the inline and crossline predictions of every sample.
//
// Memory holds a group of sections (about 128 patches), whatever the volume's size. The output is
// written to SALT.sgy.partial and renamed when complete; SALT.sgy.progress records the sections done,
// so the same command after an interruption continues where it stopped (with other options it starts
// again, and says so). A "both" run keeps its inline pass in SALT.sgy.partial-inline (4 bytes a sample).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "commands.hpp"
#include "compiled_model.hpp"
#include "model_options.hpp"
#include "run_options.hpp"
#include "salt/data/preprocess.hpp"
#include "salt/data/seismic_volume.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"
#include "salt/io/key_value.hpp"
#include "salt/io/npy.hpp"
#include "salt/io/segy.hpp"

namespace salt::cli {

namespace {

constexpr int kPatch = 101;  // TGS's image size: the scale the models learned

namespace fs = std::filesystem;

// The first pass's probabilities of a "both" run: raw floats, trace after trace.
class ScratchVolume {
public:
    ScratchVolume(const fs::path& path, int samples, bool fresh) : path_(path), samples_(samples) {
        f_ = std::fopen(path.c_str(), fresh ? "w+b" : "r+b");
        if (!f_) throw io::IoError(path.string(), "cannot open the scratch file of the inline pass");
    }
    ~ScratchVolume() {
        if (f_) std::fclose(f_);
    }
    ScratchVolume(const ScratchVolume&) = delete;
    ScratchVolume& operator=(const ScratchVolume&) = delete;
    void write(int trace, const float* v) {
        if (std::fseek(f_, long(trace) * samples_ * 4, SEEK_SET) != 0 || std::fwrite(v, 4, std::size_t(samples_), f_) != std::size_t(samples_))
            throw io::IoError(path_.string(), "writing the inline pass failed (disk full?)");
    }
    void read(int trace, float* v) {
        if (std::fseek(f_, long(trace) * samples_ * 4, SEEK_SET) != 0 || std::fread(v, 4, std::size_t(samples_), f_) != std::size_t(samples_))
            throw io::IoError(path_.string(), "reading the inline pass failed (the scratch file is shorter than the volume)");
    }
    void flush() {
        if (std::fflush(f_) != 0) throw io::IoError(path_.string(), "writing the inline pass failed (disk full?)");
    }

private:
    fs::path path_;
    int samples_;
    std::FILE* f_ = nullptr;
};

std::string format_seconds(double s) {
    char b[32];
    if (s < 60) std::snprintf(b, sizeof b, "%.0fs", s);
    else if (s < 3600) std::snprintf(b, sizeof b, "%dm%02ds", int(s) / 60, int(s) % 60);
    else std::snprintf(b, sizeof b, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
    return b;
}

}  // namespace

Args segy_args() {
    Args a("segy", "Predict a salt-probability volume for a post-stack 3D SEG-Y volume. The output has the input's\n"
                   "geometry and headers, samples as IEEE floats in [0, 1]. An interrupted run continues where it\n"
                   "stopped when the same command is given again.");
    a.required("weights", "FILE", "weights written by salt train (RUN/best.safetensors)");
    a.required("in", "FILE", "the seismic volume (SEG-Y, post-stack, sorted by inline or crossline)");
    a.required("out", "FILE", "the salt-probability volume to write (SEG-Y)");
    a.option("axis", "AXIS", "sections to predict: inline, crossline, or both (averaged)", "inline");
    a.option("mask-out", "FILE", "also write a 0/1 salt mask volume (probability above the threshold)");
    a.option("npy-out", "FILE", "also write the probabilities as a NumPy array (float32, inlines x crosslines x samples)");
    a.option("overlap", "N", "samples and traces shared by neighbouring 101x101 patches, 0-100", "32");
    a.option("clip-percentile", "P",
             "amplitudes are clipped at the P and 100-P percentiles before the 8-bit mapping, 0-49 (default: the "
             "percentile the weights' training images were made with, recorded by salt train from salt synth --segy "
             "data; else 1)");
    a.option("threshold", "T", "mask threshold for --mask-out (default: the one saved with the weights, else 0.5)");
    a.flag("tta", "average with the prediction on mirrored patches (default: as saved with the weights)");
    a.flag("no-tta", "no test-time augmentation, whatever the weights say");
    add_run_options(a);
    a.flag("quiet", "no progress output (errors and the final summary only)");
    return a;
}

int cmd_segy(int argc, char** argv) {
    Args a = segy_args();
    a.parse(argc, argv);
    const RunOptions ro = run_options(a);
    const auto started = std::chrono::steady_clock::now();
    const bool quiet = a.has("quiet");

    const std::string axis_name = a.get("axis");
    std::vector<io::SegyAxis> passes;
    if (axis_name == "inline") passes = {io::SegyAxis::inlines};
    else if (axis_name == "crossline") passes = {io::SegyAxis::crosslines};
    else if (axis_name == "both") passes = {io::SegyAxis::inlines, io::SegyAxis::crosslines};
    else throw UsageError("--axis must be inline, crossline or both, not '" + axis_name + "'");
    const int overlap = int(a.get_int("overlap", 0, kPatch - 1));

    const fs::path in = a.get("in"), out = a.get("out");
    const fs::path mask_out = a.has("mask-out") ? fs::path(a.get("mask-out")) : fs::path();
    std::error_code ec;
    const fs::path npy_out = a.has("npy-out") ? fs::path(a.get("npy-out")) : fs::path();
    auto same = [&](const fs::path& x, const fs::path& y) { return fs::exists(x) && fs::exists(y) && fs::equivalent(x, y, ec); };
    if (same(in, out) || fs::absolute(in) == fs::absolute(out))
        throw UsageError("--out " + out.string() + " is the --in volume: the prediction would overwrite the seismic");
    if (!mask_out.empty() && (same(in, mask_out) || fs::absolute(in) == fs::absolute(mask_out) ||
                              fs::absolute(out) == fs::absolute(mask_out)))
        throw UsageError("--mask-out must differ from --in and --out");
    if (!npy_out.empty() && (same(in, npy_out) || fs::absolute(in) == fs::absolute(npy_out) ||
                             fs::absolute(out) == fs::absolute(npy_out) ||
                             (!mask_out.empty() && fs::absolute(mask_out) == fs::absolute(npy_out))))
        throw UsageError("--npy-out must differ from --in, --out and --mask-out");

    const auto weights = io::SafetensorsFile::read(a.get("weights"));
    const CompiledModel* model = nullptr;
    try {
        model = &model_for_weights(weights, ro.device);
    } catch (const std::invalid_argument& e) {
        throw io::IoError(a.get("weights"), e.what());
    }
    if (model->config().in_channels == 2)
        throw io::IoError(a.get("weights"), "this model takes a depth channel, which SEG-Y sections do not have; use a "
                                            "model trained on images alone");
    train::PostProcess post;
    try {
        post = train::PostProcess::from_metadata(weights.metadata(), weights.source());
    } catch (const std::invalid_argument& e) {
        throw io::IoError(weights.source(), e.what());
    }
    if (a.has("tta") && a.has("no-tta")) throw UsageError("--tta and --no-tta contradict each other");
    if (a.has("tta")) post.tta = true;
    if (a.has("no-tta")) post.tta = false;
    if (a.has("threshold")) post.threshold = a.get_real("threshold", 0, 1);
    // The amplitude normalisation: the one the training images were made with, when the weights record it.
    double clip = 1.0;
    std::string clip_source = "the default; the weights record none";
    try {
        const auto pre = data::Preprocess::from_metadata(weights.metadata(), weights.source());
        if (pre.amplitude_clip_percentile >= 0) clip = pre.amplitude_clip_percentile, clip_source = "recorded with the weights";
    } catch (const std::invalid_argument& e) {
        throw io::IoError(weights.source(), e.what());
    }
    if (a.has("clip-percentile")) clip = a.get_real("clip-percentile", 0, 49), clip_source = "--clip-percentile";
    check_device(ro);

    // The volume: every refusal (truncated, irregular, 2D, pre-stack, format) comes from here, before
    // anything is written.
    io::SegyReader reader(in);
    const io::SegyGeometry& g = reader.geometry();
    for (const auto axis : passes)
        if (g.section_traces(axis) < kPatch || g.samples < kPatch)
            throw io::IoError(in.string(), std::string("the volume is smaller than one 101x101 patch: ") +
                                               io::axis_name(axis) + " sections are " + std::to_string(g.section_traces(axis)) +
                                               " traces of " + std::to_string(g.samples) + " samples");

    // What a resume must match: the input, the weights and every option that changes a sample.
    char sig[512];
    std::snprintf(sig, sizeof sig, "in=%s bytes=%ju weights=%s bytes=%ju axis=%s overlap=%d clip=%.6g tta=%d threshold=%.9g mask=%s",
                  fs::absolute(in).c_str(), fs::file_size(in), fs::absolute(a.get("weights")).c_str(),
                  fs::file_size(a.get("weights")), axis_name.c_str(), overlap, clip, int(post.tta), post.threshold,
                  mask_out.empty() ? "-" : fs::absolute(mask_out).c_str());
    const fs::path partial = out.string() + ".partial", progress_file = out.string() + ".progress",
                   scratch_path = out.string() + ".partial-inline", mask_partial = mask_out.string() + ".partial";
    std::map<std::string, std::string> progress;
    bool resume = false;
    if (fs::exists(progress_file) && fs::exists(partial)) {
        try {
            progress = io::parse_key_value_lines(io::read_file_text(progress_file), progress_file.string());
            resume = progress["signature"] == sig;
        } catch (const io::IoError&) {
            resume = false;
        }
        if (!resume && !quiet)
            std::fprintf(stderr, "salt segy: %s belongs to a run with other inputs or options; starting again\n",
                         progress_file.c_str());
    }
    if (!resume) {
        for (const auto& p : {partial, progress_file, scratch_path, mask_partial}) fs::remove(p, ec);
        progress = {{"signature", sig}};
    }
    auto done_of = [&](std::size_t pass) {
        const auto it = progress.find("pass" + std::to_string(pass));
        if (it == progress.end()) return 0;
        try {
            return std::stoi(it->second);
        } catch (const std::exception&) {
            throw io::IoError(progress_file.string(), "bad value of " + it->first + ": '" + it->second + "'");
        }
    };

    // Writers: fresh ones get the input's headers (every trace header copied); a resume reopens them.
    std::unique_ptr<io::SegyWriter> writer, mask_writer;
    const long trace0 = g.trace0;
    if (resume) {
        writer = std::make_unique<io::SegyWriter>(io::SegyWriter::reopen(out, partial, trace0, g.samples, g.traces()));
        if (!mask_out.empty())
            mask_writer = std::make_unique<io::SegyWriter>(io::SegyWriter::reopen(mask_out, mask_partial, trace0, g.samples, g.traces()));
    } else {
        const auto ext = reader.extended_headers();
        writer = std::make_unique<io::SegyWriter>(out, reader.text_header(), reader.binary_header(), ext, g.samples, g.traces(), partial);
        if (!mask_out.empty())
            mask_writer = std::make_unique<io::SegyWriter>(mask_out, reader.text_header(), reader.binary_header(), ext,
                                                           g.samples, g.traces(), mask_partial);
        for (int t = 0; t < g.traces(); ++t) {
            const auto h = reader.trace_header(t);
            writer->write_trace_header(t, h);
            if (mask_writer) mask_writer->write_trace_header(t, h);
        }
        writer->flush();
        if (mask_writer) mask_writer->flush();
    }
    std::unique_ptr<ScratchVolume> scratch;
    if (passes.size() == 2) scratch = std::make_unique<ScratchVolume>(scratch_path, g.samples, !resume || !fs::exists(scratch_path));

    // The amplitude range, from up to 2,048 evenly spaced traces (the same on every resume).
    data::AmplitudeRange range;
    {
        const int picks = std::min(g.traces(), 2048);
        std::vector<float> values(std::size_t(picks) * std::size_t(g.samples));
        for (int k = 0; k < picks; ++k)
            reader.read_trace(int(std::int64_t(k) * g.traces() / picks), values.data() + std::size_t(k) * g.samples);
        range = data::robust_range(values, clip);
    }
    if (!quiet)
        std::fprintf(stderr, "salt segy: %s: %d inlines x %d crosslines x %d samples (%s), amplitudes clipped to [%g, %g] "
                             "(percentile %g, %s); %s%s%s\n",
                     in.c_str(), g.inline_count(), g.crossline_count(), g.samples, io::segy_format_name(g.format),
                     double(range.lo), double(range.hi), clip, clip_source.c_str(), axis_name == "both" ? "inline and crossline sections" : (axis_name + " sections").c_str(),
                     post.tta ? ", flip TTA" : "", resume ? "; continuing an interrupted run" : "");

    const bool tty = !quiet && isatty(fileno(stderr)) != 0;
    std::size_t salt_samples = 0;
    int sections_done_now = 0;
    double traces_done_now = 0;
    for (std::size_t pass = 0; pass < passes.size(); ++pass) {
        const io::SegyAxis axis = passes[pass];
        const bool last_pass = pass + 1 == passes.size();
        const int n_sections = g.sections(axis), traces = g.section_traces(axis);
        const auto tr_starts = data::tile_starts(traces, kPatch, overlap);
        const auto z_starts = data::tile_starts(g.samples, kPatch, overlap);
        const int patches_per_section = int(tr_starts.size() * z_starts.size());
        const int group = std::max(1, 128 / patches_per_section);  // ~128 patches a model call
        const auto pass_start = std::chrono::steady_clock::now();
        int first_this_run = done_of(pass);
        std::vector<float> section, probs(std::size_t(traces) * std::size_t(g.samples)), other(std::size_t(g.samples)),
            weight_sum(std::size_t(traces) * std::size_t(g.samples)), trace_out(std::size_t(g.samples)), mask_trace(std::size_t(g.samples));
        for (int s0 = done_of(pass); s0 < n_sections; s0 += group) {
            const int s1 = std::min(n_sections, s0 + group);
            // The patches of this group's sections, depth down and traces across.
            std::vector<io::Image8> patches;
            patches.reserve(std::size_t(s1 - s0) * std::size_t(patches_per_section));
            for (int s = s0; s < s1; ++s) {
                reader.read_section(axis, s, section);
                for (int t0 : tr_starts)
                    for (int z0 : z_starts) {
                        io::Image8 p(kPatch, kPatch, 1);
                        for (int y = 0; y < kPatch; ++y)
                            for (int x = 0; x < kPatch; ++x)
                                p.pixels[std::size_t(y) * kPatch + x] =
                                    data::to_grey(section[std::size_t(t0 + x) * g.samples + std::size_t(z0 + y)], range);
                        patches.push_back(std::move(p));
                    }
            }
            std::vector<const io::Image8*> ptrs;
            for (const auto& p : patches) ptrs.push_back(&p);
            const auto pred = model->predict(weights, ptrs, {}, post.tta, [](std::size_t) {}, ro);
            // Blend each section's patches and write its traces.
            for (int s = s0; s < s1; ++s) {
                std::fill(probs.begin(), probs.end(), 0.0f);
                std::fill(weight_sum.begin(), weight_sum.end(), 0.0f);
                std::size_t k = std::size_t(s - s0) * std::size_t(patches_per_section);
                for (int t0 : tr_starts)
                    for (int z0 : z_starts) {
                        const auto& logits = pred.logits[k++];
                        for (int y = 0; y < kPatch; ++y)
                            for (int x = 0; x < kPatch; ++x) {
                                const float w = data::blend_weight(x, kPatch) * data::blend_weight(y, kPatch);
                                const float pr = 1.0f / (1.0f + std::exp(-logits[std::size_t(y) * kPatch + x]));
                                const std::size_t at = std::size_t(t0 + x) * g.samples + std::size_t(z0 + y);
                                probs[at] += w * pr;
                                weight_sum[at] += w;
                            }
                    }
                for (int t = 0; t < traces; ++t) {
                    const int trace = g.trace_of(axis, s, t);
                    for (int z = 0; z < g.samples; ++z) {
                        const std::size_t at = std::size_t(t) * g.samples + std::size_t(z);
                        trace_out[std::size_t(z)] = probs[at] / weight_sum[at];
                    }
                    if (!last_pass) {
                        scratch->write(trace, trace_out.data());
                        continue;
                    }
                    if (scratch) {  // average with the inline pass
                        scratch->read(trace, other.data());
                        for (int z = 0; z < g.samples; ++z) trace_out[std::size_t(z)] = 0.5f * (trace_out[std::size_t(z)] + other[std::size_t(z)]);
                    }
                    writer->write_trace(trace, trace_out.data());
                    if (mask_writer) {
                        for (int z = 0; z < g.samples; ++z) mask_trace[std::size_t(z)] = trace_out[std::size_t(z)] > post.threshold ? 1.0f : 0.0f;
                        mask_writer->write_trace(trace, mask_trace.data());
                    }
                }
            }
            // Written traces first, then the record that they are done: a kill between the two redoes
            // this group, which writes the same values again.
            if (scratch) scratch->flush();
            writer->flush();
            if (mask_writer) mask_writer->flush();
            progress["pass" + std::to_string(pass)] = std::to_string(s1);
            std::string text;
            for (const auto& [key, value] : progress) text += key + "=" + value + "\n";
            io::write_file_atomic(progress_file, text);
            sections_done_now += s1 - s0;
            // Counted once per trace of the volume: a "both" run predicts every trace twice.
            traces_done_now += double(s1 - s0) * traces / double(passes.size());
            if (!quiet) {
                const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - pass_start).count();
                const double rate = (s1 - first_this_run) / std::max(secs, 1e-9);
                const double eta = (n_sections - s1) / std::max(rate, 1e-9);
                std::fprintf(stderr, "%ssalt segy: %s pass: %d/%d sections, %.2f sections/s, ETA %s%s", tty ? "\r" : "",
                             io::axis_name(axis), s1, n_sections, rate, format_seconds(eta).c_str(), tty ? "   " : "\n");
            }
        }
        if (tty) std::fputc('\n', stderr);
    }

    // Count salt (above the threshold) from the written volume while it is still the temporary file,
    // and copy it into the NumPy array when asked (inline by inline, whatever the file's sorting).
    {
        std::vector<float> tr(static_cast<std::size_t>(g.samples));
        std::unique_ptr<io::NpyStreamWriter> npy;
        if (!npy_out.empty()) {
            const std::int64_t shape[3] = {g.inline_count(), g.crossline_count(), g.samples};
            npy = std::make_unique<io::NpyStreamWriter>(npy_out, shape);
        }
        for (int il = 0; il < g.inline_count(); ++il)
            for (int xl = 0; xl < g.crossline_count(); ++xl) {
                writer->read_trace(g.trace_of(io::SegyAxis::inlines, il, xl), tr.data());
                for (float v : tr) salt_samples += v > post.threshold;
                if (npy) npy->append(tr);
            }
        if (npy) npy->commit();
    }
    writer->commit();
    if (mask_writer) mask_writer->commit();
    scratch.reset();
    fs::remove(scratch_path, ec);
    fs::remove(progress_file, ec);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double total = double(g.traces()) * g.samples;
    std::printf("salt segy: wrote %s (%d x %d x %d, %s%s): %.1f%% of samples above %.3g; %.1f s, %d sections "
                "(%.2f sections/s, %.0f traces/s)%s%s%s%s\n",
                out.c_str(), g.inline_count(), g.crossline_count(), g.samples, axis_name.c_str(), post.tta ? ", TTA" : "",
                100.0 * double(salt_samples) / total, post.threshold, secs, sections_done_now,
                sections_done_now / std::max(secs, 1e-9), traces_done_now / std::max(secs, 1e-9),
                mask_out.empty() ? "" : "; mask ", mask_out.empty() ? "" : mask_out.c_str(), npy_out.empty() ? "" : "; array ",
                npy_out.empty() ? "" : npy_out.c_str());
    return 0;
}

}  // namespace salt::cli
