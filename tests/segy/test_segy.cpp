// salt/io/segy.hpp and salt/data/seismic_volume.hpp: volumes written and read back (both sortings),
// every refusal of a volume salt segy cannot tile, the amplitude clipping, the tiling and blending
// rules, and the synthetic volume. The independent check of the files salt writes (Debian's
// python3-segyio) is in tests/cli/segy.sh.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/data/seismic_volume.hpp"
#include "salt/io/segy.hpp"

using namespace salt;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

fs::path scratch() {
    const fs::path d = fs::temp_directory_path() / ("salt-test-segy-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

// The value at (il, xl, z) of the test volumes: distinct everywhere.
float value(int il, int xl, int z) { return float(il * 10000 + xl * 100 + z) * 0.25f - 3.0f; }

fs::path write_small(const std::string& name, int inlines, int crosslines, int samples) {
    const fs::path p = scratch() / name;
    std::vector<float> tr(static_cast<std::size_t>(samples));
    io::write_segy_volume(p, inlines, crosslines, samples, 4000, 100, 200, {"salt test volume"}, [&](int il, int xl) {
        for (int z = 0; z < samples; ++z) tr[std::size_t(z)] = value(il, xl, z);
        return tr.data();
    });
    return p;
}

std::vector<char> bytes_of(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
fs::path write_bytes(const std::string& name, const std::vector<char>& b) {
    const fs::path p = scratch() / name;
    std::ofstream(p, std::ios::binary).write(b.data(), std::streamsize(b.size()));
    return p;
}

}  // namespace

TEST_CASE("segy: a volume written sorted by inline reads back, sections along both axes", "[segy]") {
    const auto p = write_small("small.sgy", 3, 4, 5);
    REQUIRE(fs::file_size(p) == std::uintmax_t(3600 + 12 * (240 + 5 * 4)));
    io::SegyReader r(p);
    const auto& g = r.geometry();
    REQUIRE(g.samples == 5);
    REQUIRE(g.format == 5);
    REQUIRE(g.sample_interval_us == 4000);
    REQUIRE(g.inline_sorted);
    REQUIRE(g.inlines == std::vector<int>{100, 101, 102});
    REQUIRE(g.crosslines == std::vector<int>{200, 201, 202, 203});
    REQUIRE(r.text_header_ascii().substr(0, 20) == "C 1 salt test volume");
    REQUIRE(r.text_header().size() == 3200);
    REQUIRE(r.text_header()[0] == char(0xC3));  // EBCDIC 'C'
    std::vector<float> sec;
    r.read_section(io::SegyAxis::inlines, 2, sec);
    REQUIRE(sec.size() == 4 * 5);
    for (int xl = 0; xl < 4; ++xl)
        for (int z = 0; z < 5; ++z) REQUIRE(sec[std::size_t(xl * 5 + z)] == value(2, xl, z));
    r.read_section(io::SegyAxis::crosslines, 1, sec);
    REQUIRE(sec.size() == 3 * 5);
    for (int il = 0; il < 3; ++il)
        for (int z = 0; z < 5; ++z) REQUIRE(sec[std::size_t(il * 5 + z)] == value(il, 1, z));
    const auto h = r.trace_header(g.trace_at(1, 3));
    REQUIRE(io::detail::trace_field(h.data(), SEGY_TR_INLINE) == 101);
    REQUIRE(io::detail::trace_field(h.data(), SEGY_TR_CROSSLINE) == 203);
}

TEST_CASE("segy: a volume sorted by crossline is read by its own order", "[segy]") {
    const fs::path p = scratch() / "xl_sorted.sgy";
    const int NI = 3, NX = 4, NS = 6;
    io::SegyWriter w(p, io::segy_text_header({"crossline sorted"}), io::segy_binary_header(NS, 2000), {}, NS, NI * NX);
    std::vector<float> tr(NS);
    for (int xl = 0; xl < NX; ++xl)
        for (int il = 0; il < NI; ++il) {
            const int t = xl * NI + il;
            w.write_trace_header(t, io::segy_trace_header(t, 10 + il, 20 + xl, NS, 2000));
            for (int z = 0; z < NS; ++z) tr[std::size_t(z)] = value(il, xl, z);
            w.write_trace(t, tr.data());
        }
    w.commit();
    io::SegyReader r(p);
    REQUIRE_FALSE(r.geometry().inline_sorted);
    REQUIRE(r.geometry().inlines == std::vector<int>{10, 11, 12});
    REQUIRE(r.geometry().crosslines == std::vector<int>{20, 21, 22, 23});
    std::vector<float> sec;
    r.read_section(io::SegyAxis::inlines, 1, sec);
    for (int xl = 0; xl < NX; ++xl)
        for (int z = 0; z < NS; ++z) REQUIRE(sec[std::size_t(xl * NS + z)] == value(1, xl, z));
}

TEST_CASE("segy: volumes salt cannot tile are refused with one clear error", "[segy][errors]") {
    const auto good = write_small("good.sgy", 3, 4, 5);
    const auto b = bytes_of(good);
    const int trace_bytes = 240 + 5 * 4;

    auto truncated = b;
    truncated.resize(b.size() - 7);
    const auto pt = write_bytes("truncated.sgy", truncated);
    REQUIRE_THROWS_WITH(io::SegyReader(pt), Contains(pt.string()) && Contains("truncated or malformed"));

    const auto tiny = write_bytes("tiny.sgy", std::vector<char>(100, 'x'));
    REQUIRE_THROWS_WITH(io::SegyReader(tiny), Contains("not a SEG-Y file: 100 bytes"));

    auto fixed_point = b;
    fixed_point[3224] = 0, fixed_point[3225] = 4;  // format code 4
    const auto pf = write_bytes("format4.sgy", fixed_point);
    REQUIRE_THROWS_WITH(io::SegyReader(pf), Contains("unsupported sample format code 4") && Contains("fixed point"));

    auto little = b;
    little[3224] = 5, little[3225] = 0;  // 5 as a little-endian short
    const auto pl = write_bytes("little.sgy", little);
    REQUIRE_THROWS_WITH(io::SegyReader(pl), Contains("little-endian"));

    // One trace fewer: the traces no longer make whole lines.
    auto missing = b;
    missing.resize(b.size() - std::size_t(trace_bytes));
    const auto pm = write_bytes("missing_trace.sgy", missing);
    REQUIRE_THROWS_WITH(io::SegyReader(pm), Contains("irregular geometry") && Contains("whole lines of 4"));

    // Two traces of inline 101 swapped: unsorted within the line.
    auto swapped = b;
    const std::size_t t5 = 3600 + 5 * std::size_t(trace_bytes), t6 = t5 + std::size_t(trace_bytes);
    for (int k = 0; k < trace_bytes; ++k) std::swap(swapped[t5 + std::size_t(k)], swapped[t6 + std::size_t(k)]);
    const auto ps = write_bytes("swapped.sgy", swapped);
    REQUIRE_THROWS_WITH(io::SegyReader(ps), Contains("irregular or unsorted geometry at trace 5") &&
                                                Contains("inline 101, crossline 202"));

    // The same position twice (two offsets): pre-stack.
    auto gather = b;
    for (int k = 0; k < 240; ++k) gather[t6 + std::size_t(k)] = gather[t5 + std::size_t(k)];
    const auto pg = write_bytes("gather.sgy", gather);
    REQUIRE_THROWS_WITH(io::SegyReader(pg), Contains("pre-stack data: traces 5 and 6"));

    const auto line = write_small("line2d.sgy", 1, 6, 5);
    REQUIRE_THROWS_WITH(io::SegyReader(line), Contains("a 2D line (one inline, 6 traces)"));
    const auto xline = write_small("xline2d.sgy", 6, 1, 5);
    REQUIRE_THROWS_WITH(io::SegyReader(xline), Contains("a 2D line (one crossline, 6 traces)"));

    REQUIRE_THROWS_WITH(io::SegyReader(scratch() / "absent.sgy"), Contains("absent.sgy") && Contains("cannot read"));
}

TEST_CASE("segy: the writer leaves nothing at the destination until commit", "[segy]") {
    const fs::path p = scratch() / "uncommitted.sgy";
    {
        io::SegyWriter w(p, io::segy_text_header({}), io::segy_binary_header(4, 4000), {}, 4, 2);
        REQUIRE(fs::exists(w.temp_path()));
        REQUIRE_FALSE(fs::exists(p));
        // Committing an incomplete volume is refused: its size is not that of every trace.
        std::vector<float> tr(4, 1.0f);
        w.write_trace_header(0, io::segy_trace_header(0, 1, 1, 4, 4000));
        w.write_trace(0, tr.data());
        REQUIRE_THROWS_WITH(w.commit(), Contains("not 4112"));
        REQUIRE_FALSE(fs::exists(p));
        fs::remove(w.temp_path());
    }
}

TEST_CASE("seismic volume: robust range, grey levels, tiling and the blend window", "[segy][data]") {
    std::vector<float> v(1001);
    for (int i = 0; i <= 1000; ++i) v[std::size_t(i)] = float(i);  // 0..1000
    const auto r = data::robust_range(v, 1.0);
    REQUIRE(r.lo == 10.0f);
    REQUIRE(r.hi == 990.0f);
    REQUIRE(data::to_grey(-5.0f, r) == 0);
    REQUIRE(data::to_grey(2000.0f, r) == 255);
    REQUIRE(data::to_grey(500.0f, r) == 128);  // (500-10)/980*255 = 127.5 -> 128
    REQUIRE(data::to_grey(NAN, r) == 128);
    REQUIRE_THROWS(data::robust_range(v, 50.0));

    REQUIRE(data::tile_starts(101, 101, 20) == std::vector<int>{0});
    REQUIRE(data::tile_starts(128, 101, 50) == std::vector<int>{0, 27});
    const auto s = data::tile_starts(300, 101, 32);  // stride at most 69: 0, 66, 133, 199
    REQUIRE(s.front() == 0);
    REQUIRE(s.back() == 199);
    for (std::size_t i = 1; i < s.size(); ++i) REQUIRE(s[i - 1] + 101 - s[i] >= 32);
    REQUIRE_THROWS_WITH(data::tile_starts(90, 101, 10), Contains("extent 90"));

    // The window is symmetric, positive everywhere and highest in the middle.
    for (int i = 0; i < 101; ++i) {
        REQUIRE(data::blend_weight(i, 101) > 0.09f);
        REQUIRE(data::blend_weight(i, 101) == Approx(data::blend_weight(100 - i, 101)));
        REQUIRE(data::blend_weight(i, 101) <= data::blend_weight(50, 101));
    }
}

TEST_CASE("seismic volume: the synthetic volume has a salt dome, layers around it, and is seeded", "[segy][data]") {
    data::VolumeSynthOptions o;
    o.inlines = 40, o.crosslines = 48, o.samples = 64, o.seed = 3;
    const auto a = data::synth_volume(o);
    const auto b = data::synth_volume(o);
    REQUIRE(a.amplitude.values == b.amplitude.values);
    double salt = 0, in_var = 0, out_var = 0, in_n = 0, out_n = 0;
    for (std::size_t i = 0; i < a.truth.values.size(); ++i) {
        const double x = a.amplitude.values[i];
        if (a.truth.values[i] > 0.5f) salt += 1, in_var += x * x, in_n += 1;
        else out_var += x * x, out_n += 1;
    }
    const double fraction = salt / double(a.truth.values.size());
    INFO("salt fraction " << fraction);
    REQUIRE(fraction > 0.05);
    REQUIRE(fraction < 0.6);
    // Salt is quiet on seismic, the sediments are not.
    REQUIRE(in_var / in_n < 0.1 * (out_var / out_n));
    // The crest: the top rows hold no salt.
    for (int il = 0; il < o.inlines; ++il)
        for (int xl = 0; xl < o.crosslines; ++xl) REQUIRE(a.truth.at(il, xl, 0) == 0.0f);
    o.seed = 4;
    REQUIRE(data::synth_volume(o).amplitude.values != a.amplitude.values);

    const auto tiles = data::volume_tiles(a.amplitude, a.truth, data::robust_range(a.amplitude.values, 1.0), 32, 8, 8, "v");
    // 5 inline sections (0, 8, ..., 32) x 2x3 tiles + 6 crossline sections x 2x3 tiles.
    REQUIRE(tiles.size() == std::size_t(5 * 2 * 3 + 6 * 2 * 3));
    REQUIRE(tiles[0].image.width == 32);
}
