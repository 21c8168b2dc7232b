// safetensors reading and writing: round trips, a file written by Python from torch tensors, and
// every malformed-file case, each checked for a message that names the file, the tensor where there
// is one, and the problem.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "salt/io/safetensors.hpp"
#include "support/test_env.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using salt::io::DType;
using salt::io::SafetensorsError;
using salt::io::SafetensorsFile;
using salt::io::SafetensorsWriter;

namespace {

// A per-process scratch directory, removed at exit.
struct ScratchDir {
    fs::path path = fs::temp_directory_path() / ("salt_test_safetensors_" + std::to_string(::getpid()));
    ScratchDir() { fs::create_directories(path); }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};
fs::path scratch_dir() {
    static const ScratchDir dir;
    return dir.path;
}

std::vector<std::byte> bytes_of(const std::string& s) {
    std::vector<std::byte> b(s.size());
    std::memcpy(b.data(), s.data(), s.size());
    return b;
}

void write_raw(const fs::path& p, const std::vector<std::byte>& b) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

std::vector<std::byte> read_raw(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> b(c.size());
    std::memcpy(b.data(), c.data(), c.size());
    return b;
}

// A file image: the length prefix (`declared_len`, or the real one), the header text, `data_bytes`
// bytes of data (values 0, 1, 2, ...).
std::vector<std::byte> image(const std::string& header, std::size_t data_bytes,
                             std::uint64_t declared_len = UINT64_MAX) {
    const std::uint64_t n = declared_len == UINT64_MAX ? header.size() : declared_len;
    std::vector<std::byte> b(8);
    std::memcpy(b.data(), &n, 8);
    auto h = bytes_of(header);
    b.insert(b.end(), h.begin(), h.end());
    for (std::size_t i = 0; i < data_bytes; ++i) b.push_back(std::byte(i & 0xFF));
    return b;
}

// Writes the image to a file called `name` in the scratch directory and returns its path.
fs::path bad_file(const std::string& name, const std::vector<std::byte>& b) {
    const auto p = scratch_dir() / (name + ".safetensors");
    write_raw(p, b);
    return p;
}

std::vector<float> iota_f(std::size_t n, float scale, float offset) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = float(i) * scale + offset;
    return v;
}

}  // namespace

TEST_CASE("safetensors: round trip of every written dtype, metadata and layout", "[io][safetensors]") {
    const auto w32 = iota_f(2 * 3 * 3 * 3, 0.25f, -5.f);
    const std::vector<double> f64{1.0 / 3.0, -2.5e-300, 7e300};
    const std::vector<std::int64_t> i64{-(std::int64_t(1) << 62), 0, 42};
    const std::vector<std::uint8_t> u8{1, 2, 3, 250, 7};
    const std::int64_t scalar = 987654321012345LL;

    SafetensorsWriter w;
    w.add("bytes", DType::U8, {5}, std::as_bytes(std::span(u8)));  // added first, laid out last
    w.add_f32("backbone.conv1.weight", {2, 3, 3, 3}, w32.data());
    w.add_f64("var", {3}, f64.data());
    w.add_i64("ids", {3}, i64.data());
    w.add_i64("bn1.num_batches_tracked", {}, &scalar);
    w.add_f32("empty", {0, 4}, nullptr);
    w.set_metadata("format", "pt");
    w.set_metadata("quote\"key", "line\nbreak \\ tab\t unicode \xC3\xBC\xF0\x9F\x8C\x8A ctrl\x01");

    const auto path = scratch_dir() / "roundtrip.safetensors";
    w.write(path);
    REQUIRE(fs::exists(path));

    const auto f = SafetensorsFile::read(path);
    REQUIRE(f.size() == 6);
    CHECK(f.metadata().at("format") == "pt");
    CHECK(f.metadata().at("quote\"key") == "line\nbreak \\ tab\t unicode \xC3\xBC\xF0\x9F\x8C\x8A ctrl\x01");

    const auto& conv = f.at("backbone.conv1.weight");
    CHECK(conv.dtype == DType::F32);
    CHECK(conv.shape == std::vector<std::int64_t>{2, 3, 3, 3});
    CHECK(f.to_float("backbone.conv1.weight") == w32);
    CHECK(f.to_float("backbone.conv1.weight", {2, 3, 3, 3}) == w32);
    CHECK(f.to_double("var") == f64);
    CHECK(f.to_int64("ids") == i64);
    CHECK(f.at("bn1.num_batches_tracked").shape.empty());
    CHECK(f.to_int64("bn1.num_batches_tracked") == std::vector<std::int64_t>{scalar});
    CHECK(f.to_int64("bytes") == std::vector<std::int64_t>{1, 2, 3, 250, 7});
    CHECK(f.at("empty").shape == std::vector<std::int64_t>{0, 4});
    CHECK(f.at("empty").data.empty());
    CHECK(f.to_float("empty").empty());
    CHECK(f.find("nope") == nullptr);

    // Layout: 8-byte dtypes first, the header padded to a multiple of 8, so every tensor is aligned
    // to its element size in the file.
    const auto raw = read_raw(path);
    std::uint64_t n = 0;
    std::memcpy(&n, raw.data(), 8);
    CHECK((8 + n) % 8 == 0);
    CHECK(f.names().back() == "bytes");

    // Same input, same bytes.
    CHECK(w.serialize() == raw);
    // In-memory parse gives the same result.
    const auto m = SafetensorsFile::parse(raw, "mem");
    CHECK(m.names() == f.names());
    CHECK(m.to_float("backbone.conv1.weight") == w32);
}

TEST_CASE("safetensors: an empty file (no tensors) round-trips", "[io][safetensors]") {
    SafetensorsWriter w;
    const auto path = scratch_dir() / "empty.safetensors";
    w.write(path);
    const auto f = SafetensorsFile::read(path);
    CHECK(f.size() == 0);
    CHECK(f.metadata().empty());
}

TEST_CASE("safetensors: a file written by Python from torch tensors", "[io][safetensors]") {
    const auto path = salt::test::fixture_dir() / "io_formats" / "torch_basic.safetensors";
    const auto f = SafetensorsFile::read(path);
    // The header lists the entries in reverse; names() is in data order.
    CHECK(f.names() == std::vector<std::string>{"conv.weight", "bn.running_var", "bn.num_batches_tracked", "idx",
                                                "mask", "bytes", "half", "bhalf", "empty"});
    CHECK(f.metadata().at("format") == "pt");
    // json.dumps wrote the non-ASCII characters as \u escapes, the wave as a surrogate pair.
    CHECK(f.metadata().at("note") == "\xC3\xBCn\xC3\xAF" "code \"quoted\" back\\slash tab\t \xF0\x9F\x8C\x8A");

    CHECK(f.at("conv.weight").shape == std::vector<std::int64_t>{2, 3, 2, 2});
    CHECK(f.to_float("conv.weight") == iota_f(24, 0.5f, -3.f));
    CHECK(f.at("bn.running_var").dtype == DType::F64);
    CHECK(f.to_double("bn.running_var") == std::vector<double>{0.5, 1.25, 3.0e10});
    CHECK(f.to_float("bn.running_var") == std::vector<float>{0.5f, 1.25f, 3.0e10f});
    CHECK(f.at("bn.num_batches_tracked").dtype == DType::I64);
    CHECK(f.at("bn.num_batches_tracked").shape.empty());
    CHECK(f.to_int64("bn.num_batches_tracked") == std::vector<std::int64_t>{12345678901LL});
    CHECK(f.to_int64("idx") == std::vector<std::int64_t>{-1, 0, 7, 2147483647});
    CHECK(f.at("mask").dtype == DType::BOOL);
    CHECK(f.to_int64("mask") == std::vector<std::int64_t>{1, 0, 0, 1});
    CHECK(f.to_int64("bytes") == std::vector<std::int64_t>{0, 128, 255});
    CHECK(f.to_float("half") == std::vector<float>{1.0f, -2.5f, 65504.0f, std::ldexp(1.0f, -24)});
    CHECK(f.to_float("bhalf") == std::vector<float>{1.0f, -3.0f, std::ldexp(1.0f, 100)});
    CHECK(f.at("empty").shape == std::vector<std::int64_t>{0, 3});
}

TEST_CASE("safetensors: C++-written files read back in Python", "[io][safetensors]") {
    if (std::system((salt::test::python() + " -c pass > /dev/null 2>&1").c_str()) != 0) {
        salt::test::skip_or_fail(salt::test::python() + " is not available");
        return;
    }
    const auto w = iota_f(6, 1.5f, -1.f);
    const std::int64_t nbt = 7;
    SafetensorsWriter sw;
    sw.add_f32("a.weight", {2, 3}, w.data()).add_i64("a.num_batches_tracked", {}, &nbt).set_metadata("k", "v\u00e9");
    const auto path = scratch_dir() / "for_python.safetensors";
    sw.write(path);
    // An independent reader: struct + json + numpy.
    const std::string script =
        "import json,struct,sys,numpy as np\n"
        "b=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',b[:8])[0]; h=json.loads(b[8:8+n]); d=b[8+n:]\n"
        "e=h['a.weight']; s,t=e['data_offsets']\n"
        "a=np.frombuffer(d[s:t],dtype='<f4').reshape(e['shape'])\n"
        "assert e['dtype']=='F32' and a.tolist()==[[-1.0,0.5,2.0],[3.5,5.0,6.5]], a\n"
        "e=h['a.num_batches_tracked']; s,t=e['data_offsets']\n"
        "assert e['dtype']=='I64' and e['shape']==[] and struct.unpack('<q',d[s:t])[0]==7\n"
        "assert h['__metadata__']=={'k':'v\\u00e9'}, h['__metadata__']\n"
        "assert max(x['data_offsets'][1] for k,x in h.items() if k!='__metadata__')==len(d)\n";
    const auto script_path = scratch_dir() / "check.py";
    std::ofstream(script_path) << script;
    CHECK(std::system((salt::test::python() + " " + script_path.string() + " " + path.string()).c_str()) == 0);
}

TEST_CASE("safetensors: writes are atomic and leave no temporary files", "[io][safetensors]") {
    const auto dir = scratch_dir() / "atomic";
    fs::create_directories(dir);
    const auto path = dir / "w.safetensors";
    const std::vector<float> a{1, 2, 3}, b{4, 5};
    SafetensorsWriter w1;
    w1.add_f32("x", {3}, a.data());
    w1.write(path);
    SafetensorsWriter w2;
    w2.add_f32("y", {2}, b.data());
    w2.write(path);  // replaces the old file
    const auto f = SafetensorsFile::read(path);
    CHECK(f.names() == std::vector<std::string>{"y"});
    CHECK(f.to_float("y") == b);
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        ++files;
        CHECK(e.path().filename() == "w.safetensors");
    }
    CHECK(files == 1);

    // An unwritable destination: the error names the path, and nothing is left behind.
    const auto missing = dir / "no_such_dir" / "w.safetensors";
    REQUIRE_THROWS_AS(w1.write(missing), SafetensorsError);
    REQUIRE_THROWS_WITH(w1.write(missing), Contains("no_such_dir/w.safetensors") && Contains("cannot write"));
    CHECK_FALSE(fs::exists(missing.parent_path()));
}

TEST_CASE("safetensors: writer rejects bad tensors", "[io][safetensors]") {
    SafetensorsWriter w;
    const std::vector<float> v{1, 2, 3, 4};
    w.add_f32("w", {4}, v.data());
    REQUIRE_THROWS_WITH(w.add_f32("w", {4}, v.data()), Contains("'w'") && Contains("duplicate tensor name"));
    REQUIRE_THROWS_WITH(w.add("x", DType::F32, {5}, std::as_bytes(std::span(v))),
                        Contains("'x'") && Contains("needs 20 bytes, got 16"));
    REQUIRE_THROWS_WITH(w.add_f32("neg", {-1, 2}, v.data()), Contains("'neg'") && Contains("negative extent"));
    REQUIRE_THROWS_WITH(w.add_f32("__metadata__", {1}, v.data()), Contains("reserved"));
}

// ---------------------------------------------------------------------------------------------
// Malformed files. Each message must name the file, the tensor where there is one, and the problem.

TEST_CASE("safetensors error: file shorter than 8 bytes", "[io][safetensors][errors]") {
    const auto p = bad_file("short", bytes_of("abcde"));
    REQUIRE_THROWS_AS(SafetensorsFile::read(p), SafetensorsError);
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("truncated file") &&
                                                      Contains("5 bytes") && Contains("8-byte"));
    REQUIRE_THROWS_WITH(SafetensorsFile::parse(bytes_of("abc"), "mem.safetensors"),
                        Contains("mem.safetensors") && Contains("truncated"));
}

TEST_CASE("safetensors error: header past the end of the file", "[io][safetensors][errors]") {
    const auto p = bad_file("header_past_end", image("{}", 0, 100));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("truncated file") &&
                                                      Contains("header is 100 bytes") && Contains("only 2 bytes"));
}

TEST_CASE("safetensors error: data past the end of the file (truncated data)", "[io][safetensors][errors]") {
    const std::vector<float> v(16, 1.f);
    SafetensorsWriter w;
    w.add_f32("first", {8}, v.data()).add_f32("layer.weight", {16}, v.data());
    auto b = w.serialize();
    b.resize(b.size() - 4);  // lose the last float
    const auto p = bad_file("data_past_end", b);
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("'layer.weight'") &&
                                                      Contains("truncated") && Contains("past the end"));
}

TEST_CASE("safetensors error: header too large", "[io][safetensors][errors]") {
    const auto p = bad_file("huge_header", image("{}", 0, 200'000'000));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("header too large") &&
                                                      Contains("200000000") && Contains("100000000"));
}

TEST_CASE("safetensors error: invalid JSON, with the byte offset", "[io][safetensors][errors]") {
    //                       0123456789012345678901234
    const std::string h = R"({"a":{"dtype":"F32",,"shape":[1],"data_offsets":[0,4]}})";
    const auto p = bad_file("bad_json", image(h, 4));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("invalid JSON") &&
                                                      Contains("byte offset 20") && Contains("expected a string key"));

    const auto p2 = bad_file("unterminated", image(R"({"a":{"dtype":"F32)", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p2), Contains("invalid JSON") && Contains("unterminated string"));

    const auto p3 = bad_file("trailing_garbage", image(R"({} x)", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p3), Contains("invalid JSON") && Contains("byte offset 3"));

    const auto p4 = bad_file("not_object", image(R"([1,2])", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p4), Contains(p4.string()) && Contains("must start with '{'"));

    const auto p5 = bad_file("deep", image("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p5), Contains("invalid JSON") && Contains("nesting"));

    const auto p6 = bad_file("bad_escape", image(R"({"__metadata__":{"k":"\q"}})", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p6), Contains("invalid JSON") && Contains("invalid escape"));

    const auto p7 = bad_file("bad_utf8", image("{\"__metadata__\":{\"k\":\"\xC3\x28\"}}", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p7), Contains("invalid JSON") && Contains("UTF-8"));

    const auto p8 = bad_file("lone_surrogate", image(R"({"__metadata__":{"k":"\ud83c"}})", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p8), Contains("invalid JSON") && Contains("surrogate"));
}

// Resident memory now, and the process's high-water mark, in bytes.
std::size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::size_t total_pages = 0, resident_pages = 0;
    statm >> total_pages >> resident_pages;
    return resident_pages * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}
std::size_t peak_resident_bytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<std::size_t>(u.ru_maxrss) * 1024;  // Linux reports kilobytes
}

TEST_CASE("safetensors error: a 100 MB header of one JSON array stays within bounded memory",
          "[io][safetensors][errors]") {
    // {"a":[0,0,...,0]} just under the 100,000,000-byte header limit: about 50 million values. Parsed
    // into nodes of ~110 bytes each it would take over 5 GB; the value limit stops it after 2^20.
    const auto p = scratch_dir() / "array_header.safetensors";
    const std::uint64_t zeros = 49'999'990;
    const std::uint64_t n = 7 + 2 * zeros;  // {"a":[ then "0," per zero less the last comma, then ]}
    REQUIRE(n < 100'000'000);
    {
        std::ofstream f(p, std::ios::binary);
        f.write(reinterpret_cast<const char*>(&n), 8);
        f << "{\"a\":[";
        const std::string block = [] {
            std::string b;
            for (int i = 0; i < 1'000'000; ++i) b += "0,";
            return b;
        }();
        std::uint64_t left = zeros;
        while (left > 1'000'000) {
            f << block;
            left -= 1'000'000;
        }
        for (std::uint64_t i = 0; i + 1 < left; ++i) f << "0,";
        f << "0]}";
        REQUIRE(f.good());
    }
    REQUIRE(fs::file_size(p) == 8 + n);

    const std::size_t before = resident_bytes();
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("invalid JSON") &&
                                                      Contains("more than 1048576 JSON values"));
    // The reader holds the 100 MB header text and at most 2^20 nodes: a few hundred MB at most (the
    // sanitizers' allocator keeps freed blocks for a while). Measured from the resident size before the
    // read, so an earlier, higher peak can only make this check stricter, never vacuous.
    const std::size_t grew = peak_resident_bytes() - std::min(before, peak_resident_bytes());
    INFO("peak resident growth while reading: " << grew / 1'000'000 << " MB");
    CHECK(grew < std::size_t{1} << 30);
    fs::remove(p);
}

TEST_CASE("safetensors error: unknown dtype", "[io][safetensors][errors]") {
    const auto p = bad_file("unknown_dtype", image(R"({"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}})", 4));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("'w'") &&
                                                      Contains("unknown dtype \"F33\""));
}

TEST_CASE("safetensors error: offsets out of bounds", "[io][safetensors][errors]") {
    const auto p = bad_file("out_of_bounds",
                            image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                                  12));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("'b'") &&
                                                      Contains("out of bounds") && Contains("12-byte data section"));
    const auto p2 = bad_file("begin_after_end", image(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p2), Contains("'a'") && Contains("begin is after end"));
    const auto p3 = bad_file("negative_offset", image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 4));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p3), Contains("'a'") && Contains("non-negative integers"));
}

TEST_CASE("safetensors error: offsets inconsistent with dtype and shape", "[io][safetensors][errors]") {
    const auto p = bad_file("size_mismatch", image(R"({"bn.weight":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("'bn.weight'") &&
                                                      Contains("span 8 bytes") && Contains("needs 12 bytes"));
    const auto p2 = bad_file("shape_overflow",
                             image(R"({"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p2), Contains("'w'") && Contains("overflows"));
    const auto p3 = bad_file("fractional_shape", image(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p3), Contains("'w'") && Contains("non-negative integers"));
    const auto p4 = bad_file("missing_shape", image(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", 4));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p4), Contains("'w'") && Contains("lacks \"shape\""));
}

TEST_CASE("safetensors error: overlapping offsets", "[io][safetensors][errors]") {
    const auto p = bad_file("overlap", image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                             12));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("'b'") && Contains("overlap") &&
                                                      Contains("'a'"));
}

TEST_CASE("safetensors error: holes in the data (non-contiguous offsets)", "[io][safetensors][errors]") {
    const auto p = bad_file("hole", image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                          R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                          12));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("'b'") && Contains("hole") &&
                                                      Contains("[4, 8)"));
    const auto p2 = bad_file("hole_at_start", image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p2), Contains("'a'") && Contains("hole") && Contains("at the start"));
    const auto p3 = bad_file("trailing", image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 10));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p3), Contains(p3.string()) && Contains("10 bytes") &&
                                                       Contains("cover only 4") && Contains("trailing"));
}

TEST_CASE("safetensors error: duplicate names", "[io][safetensors][errors]") {
    const auto p = bad_file("duplicate", image(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                               R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                               8));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("'w'") &&
                                                      Contains("duplicate tensor name"));
    const auto p2 = bad_file("duplicate_key", image(R"({"w":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}})", 4));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p2), Contains("'w'") && Contains("duplicate key \"dtype\""));
    const auto p3 = bad_file("duplicate_meta", image(R"({"__metadata__":{"a":"1","a":"2"}})", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p3), Contains("duplicate \"__metadata__\" key \"a\""));
}

TEST_CASE("safetensors error: metadata and lookups", "[io][safetensors][errors]") {
    const auto p = bad_file("meta_number", image(R"({"__metadata__":{"epoch":3}})", 0));
    REQUIRE_THROWS_WITH(SafetensorsFile::read(p), Contains(p.string()) && Contains("\"epoch\"") &&
                                                      Contains("must be a string"));
    const auto missing = scratch_dir() / "does_not_exist.safetensors";
    REQUIRE_THROWS_WITH(SafetensorsFile::read(missing), Contains(missing.string()) && Contains("cannot open"));

    const std::int64_t n = 3;
    SafetensorsWriter w;
    w.add_i64("nbt", {}, &n);
    const auto f = SafetensorsFile::parse(w.serialize(), "weights.safetensors");
    REQUIRE_THROWS_WITH(f.at("conv.weight"), Contains("weights.safetensors") && Contains("'conv.weight'") &&
                                                 Contains("no such tensor"));
    REQUIRE_THROWS_WITH(f.to_float("nbt"), Contains("'nbt'") && Contains("I64 cannot be read as float"));
    REQUIRE_THROWS_WITH(f.expect_shape("nbt", {1}), Contains("'nbt'") && Contains("shape [], expected [1]"));
}

// The committed parity fixtures (tests/parity/make_parity_fixtures.py --small-only) hold what
// tests/parity/README.md says they hold.
TEST_CASE("safetensors: the small parity fixtures are well formed", "[io][safetensors][fixtures]") {
    const auto root = salt::test::fixture_dir() / "parity_small";
    for (const std::string name : {"bottleneck_s1", "bottleneck_identity_d2", "bottleneck_s2_d2", "aspp"}) {
        INFO("case " << name);
        const auto dir = root / name;
        const auto w = SafetensorsFile::read(dir / "weights.safetensors");
        const auto in = SafetensorsFile::read(dir / "input.safetensors");
        const auto ev = SafetensorsFile::read(dir / "eval_out.safetensors");
        const auto tr = SafetensorsFile::read(dir / "train.safetensors");
        const auto g64 = SafetensorsFile::read(dir / "grads_f64.safetensors");
        CHECK(w.metadata().at("case") == name);
        const auto& x = in.at("input");
        CHECK(x.dtype == DType::F32);
        REQUIRE(x.shape.size() == 4);
        CHECK(x.shape[0] == 2);
        CHECK(ev.at("out").dtype == DType::F32);
        CHECK(ev.at("out_f64").dtype == DType::F64);
        CHECK(ev.at("out").shape == ev.at("out_f64").shape);
        CHECK(tr.at("R").shape == tr.at("out").shape);
        CHECK(tr.at("grad.input").shape == x.shape);
        CHECK(g64.at("grad.input").dtype == DType::F64);
        for (const auto& t : w.tensors()) {
            INFO("tensor " << t.name);
            const bool nbt = t.name.ends_with("num_batches_tracked");
            const bool running = t.name.ends_with("running_mean") || t.name.ends_with("running_var");
            CHECK(t.dtype == (nbt ? DType::I64 : DType::F32));
            if (nbt) {
                // One train-mode forward adds one.
                CHECK(tr.to_int64("after." + t.name)[0] == w.to_int64(t.name)[0] + 1);
                CHECK(g64.to_int64("after." + t.name)[0] == w.to_int64(t.name)[0] + 1);
            } else if (running) {
                CHECK(tr.at("after." + t.name).shape == t.shape);
                CHECK(g64.at("after." + t.name).dtype == DType::F64);
                CHECK(tr.to_float("after." + t.name) != w.to_float(t.name));
            } else {  // a parameter
                CHECK(tr.at("grad." + t.name).shape == t.shape);
                CHECK(g64.at("grad." + t.name).shape == t.shape);
            }
        }
    }
    const auto b = SafetensorsFile::read(root / "bottleneck_s1" / "weights.safetensors");
    CHECK(b.at("conv2.weight").shape == std::vector<std::int64_t>{16, 16, 3, 3});  // OIHW
    CHECK(b.at("downsample.0.weight").shape == std::vector<std::int64_t>{64, 32, 1, 1});
    const auto a = SafetensorsFile::read(root / "aspp" / "weights.safetensors");
    CHECK(a.at("convs.1.0.weight").shape == std::vector<std::int64_t>{16, 32, 3, 3});
    CHECK(a.at("convs.4.1.weight").shape == std::vector<std::int64_t>{16, 32, 1, 1});
    CHECK(a.at("project.0.weight").shape == std::vector<std::int64_t>{16, 80, 1, 1});
}
