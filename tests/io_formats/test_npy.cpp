// NPY reading and writing: files written by numpy.save, round trips, and the error cases.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "salt/io/npy.hpp"
#include "support/test_env.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using salt::io::NpyDType;
using salt::io::NpyError;

namespace {

// A per-process scratch directory, removed at exit.
struct ScratchDir {
    fs::path path = fs::temp_directory_path() / ("salt_test_npy_" + std::to_string(::getpid()));
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

fs::path fixture(const std::string& name) { return salt::test::fixture_dir() / "io_formats" / name; }

std::vector<std::byte> read_raw(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> b(c.size());
    std::memcpy(b.data(), c.data(), c.size());
    return b;
}

fs::path write_raw(const std::string& name, const std::vector<std::byte>& b) {
    const auto p = scratch_dir() / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    return p;
}

// A copy of `b` with the first occurrence of `from` replaced by `to` (same length).
std::vector<std::byte> patched(std::vector<std::byte> b, const std::string& from, const std::string& to) {
    REQUIRE(from.size() == to.size());
    std::string s(reinterpret_cast<const char*>(b.data()), b.size());
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    std::memcpy(b.data() + at, to.data(), to.size());
    return b;
}

}  // namespace

TEST_CASE("npy: files written by numpy.save", "[io][npy]") {
    const auto f32 = salt::io::read_npy_float(fixture("np_f32.npy"));
    CHECK(f32.shape == std::vector<std::int64_t>{3, 4});
    std::vector<float> expect(12);
    for (int i = 0; i < 12; ++i) expect[std::size_t(i)] = float(i) / 4.f;
    CHECK(f32.data == expect);

    const auto f64 = salt::io::read_npy(fixture("np_f64.npy"));
    CHECK(f64.dtype == NpyDType::F64);
    CHECK(f64.shape == std::vector<std::int64_t>{2, 3});
    const auto d = f64.to_double();
    for (int i = 0; i < 6; ++i) CHECK(d[std::size_t(i)] == double(i) / 3.0);
    CHECK(f64.to_float()[1] == float(1.0 / 3.0));

    const auto i64 = salt::io::read_npy(fixture("np_i64.npy"));
    CHECK(i64.dtype == NpyDType::I64);
    CHECK(i64.shape == std::vector<std::int64_t>{5});
    CHECK(i64.to_int64() == std::vector<std::int64_t>{-5, 0, 3, std::int64_t(1) << 40, -(std::int64_t(1) << 62)});

    const auto scalar = salt::io::read_npy_float(fixture("np_scalar.npy"));
    CHECK(scalar.shape.empty());
    CHECK(scalar.data == std::vector<float>{2.5f});

    const auto v2 = salt::io::read_npy_float(fixture("np_v2.npy"));  // format version 2.0 header
    CHECK(v2.shape == std::vector<std::int64_t>{1, 2, 2});
    CHECK(v2.data == std::vector<float>{0, 1, 2, 3});
}

TEST_CASE("npy: round trips and header layout", "[io][npy]") {
    const std::vector<std::int64_t> shape{2, 3, 2};
    std::vector<float> f(12);
    std::vector<double> d(12);
    std::vector<std::int64_t> i(12);
    for (int k = 0; k < 12; ++k) {
        f[std::size_t(k)] = float(k) * 0.1f - 0.3f;
        d[std::size_t(k)] = double(k) / 7.0;
        i[std::size_t(k)] = std::int64_t(k) * 1000000007LL - 5;
    }
    const auto pf = scratch_dir() / "f.npy", pd = scratch_dir() / "d.npy", pi = scratch_dir() / "i.npy";
    salt::io::write_npy(pf, shape, std::span<const float>(f));
    salt::io::write_npy(pd, shape, std::span<const double>(d));
    salt::io::write_npy(pi, shape, std::span<const std::int64_t>(i));
    const auto rf = salt::io::read_npy(pf);
    CHECK(rf.dtype == NpyDType::F32);
    CHECK(rf.shape == shape);
    CHECK(rf.to_float() == f);
    CHECK(salt::io::read_npy(pd).to_double() == d);
    CHECK(salt::io::read_npy(pi).to_int64() == i);

    // 1-D and 0-d shapes use Python's tuple syntax: (n,) and ().
    const std::vector<std::int64_t> one{3}, none{};
    salt::io::write_npy(scratch_dir() / "one.npy", one, std::span<const float>(f.data(), 3));
    salt::io::write_npy(scratch_dir() / "none.npy", none, std::span<const float>(f.data(), 1));
    CHECK(salt::io::read_npy(scratch_dir() / "one.npy").shape == one);
    CHECK(salt::io::read_npy(scratch_dir() / "none.npy").shape.empty());

    // Version 1.0, data at a multiple of 64, header ends in '\n'.
    const auto raw = read_raw(pf);
    REQUIRE(raw.size() > 10);
    CHECK(std::uint8_t(raw[6]) == 1);
    const std::size_t hlen = std::size_t(std::uint8_t(raw[8])) | (std::size_t(std::uint8_t(raw[9])) << 8);
    CHECK((10 + hlen) % 64 == 0);
    CHECK(char(raw[10 + hlen - 1]) == '\n');
    CHECK(raw.size() == 10 + hlen + 12 * 4);

    // A header longer than 65535 bytes needs format version 2.0 (a 4-byte length).
    const std::vector<std::int64_t> many(25000, 1);
    const float v2_value = 4.5f;
    salt::io::write_npy(scratch_dir() / "v2.npy", many, std::span<const float>(&v2_value, 1));
    const auto raw2 = read_raw(scratch_dir() / "v2.npy");
    CHECK(std::uint8_t(raw2[6]) == 2);
    const auto back2 = salt::io::read_npy(scratch_dir() / "v2.npy");
    CHECK(back2.shape == many);
    CHECK(back2.to_float() == std::vector<float>{4.5f});

    // No temporary files left behind.
    for (const auto& e : fs::directory_iterator(scratch_dir()))
        CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("npy: the streaming writer: piece by piece, byte-identical to write_npy, all or nothing", "[io][npy]") {
    const std::vector<std::int64_t> shape{3, 2, 5};
    std::vector<float> v(30);
    for (int k = 0; k < 30; ++k) v[std::size_t(k)] = float(k) * 0.25f - 3.0f;
    const auto whole = scratch_dir() / "whole.npy", streamed = scratch_dir() / "streamed.npy";
    salt::io::write_npy(whole, shape, std::span<const float>(v));
    {
        salt::io::NpyStreamWriter w(streamed, shape);
        for (int piece = 0; piece < 6; ++piece) {
            CHECK_FALSE(fs::exists(streamed));  // nothing under the final name before commit
            w.append(std::span<const float>(v.data() + piece * 5, 5));
        }
        w.commit();
    }
    CHECK(read_raw(streamed) == read_raw(whole));

    // Too many values, too few at commit, or no commit at all: an error and no file, no temporary.
    const auto bad = scratch_dir() / "bad.npy";
    {
        salt::io::NpyStreamWriter w(bad, shape);
        w.append(std::span<const float>(v.data(), 25));
        REQUIRE_THROWS_WITH(w.append(std::span<const float>(v.data(), 6)),
                            Contains("bad.npy") && Contains("more values appended than the shape holds (30)"));
        REQUIRE_THROWS_WITH(w.commit(), Contains("bad.npy") && Contains("only 25 of 30 values were written"));
    }
    {
        salt::io::NpyStreamWriter w(bad, shape);
        w.append(std::span<const float>(v.data(), 30));
    }  // destroyed uncommitted
    CHECK_FALSE(fs::exists(bad));
    for (const auto& e : fs::directory_iterator(scratch_dir()))
        CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
    REQUIRE_THROWS_WITH(salt::io::NpyStreamWriter(scratch_dir() / "no_such_dir" / "x.npy", shape),
                        Contains("x.npy") && Contains("cannot create the temporary file"));
}

TEST_CASE("npy: C++-written files load in numpy", "[io][npy]") {
    if (std::system((salt::test::python() + " -c 'import numpy' > /dev/null 2>&1").c_str()) != 0) {
        salt::test::skip_or_fail(salt::test::python() + " with numpy is not available");
        return;
    }
    const std::vector<float> f{1.5f, -2.f, 3.25f, 0.f, 8.f, -0.5f};
    const std::vector<std::int64_t> shape{3, 2};
    const auto p = scratch_dir() / "for_numpy.npy";
    salt::io::write_npy(p, shape, std::span<const float>(f));
    const std::string cmd = salt::test::python() +
                            " -c \"import sys,numpy as np; a=np.load(sys.argv[1]); "
                            "assert a.dtype==np.float32 and a.shape==(3,2) and a.flags.c_contiguous; "
                            "assert a.tolist()==[[1.5,-2.0],[3.25,0.0],[8.0,-0.5]], a\" " +
                            p.string();
    CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("npy errors: name the file, what was expected and what was found", "[io][npy][errors]") {
    SECTION("Fortran order") {
        const auto p = fixture("np_fortran.npy");
        REQUIRE_THROWS_AS(salt::io::read_npy(p), NpyError);
        REQUIRE_THROWS_WITH(salt::io::read_npy(p), Contains(p.string()) && Contains("Fortran-order") &&
                                                       Contains("expected C order"));
    }
    SECTION("unsupported dtype") {
        const auto p = fixture("np_i32.npy");
        REQUIRE_THROWS_WITH(salt::io::read_npy(p), Contains(p.string()) && Contains("unsupported dtype '<i4'") &&
                                                       Contains("expected '<f4', '<f8' or '<i8'"));
    }
    SECTION("big-endian") {
        const auto p = write_raw("big.npy", patched(read_raw(fixture("np_f32.npy")), "'<f4'", "'>f4'"));
        REQUIRE_THROWS_WITH(salt::io::read_npy(p), Contains(p.string()) && Contains("big-endian dtype '>f4'"));
    }
    SECTION("int64 read as float") {
        const auto p = fixture("np_i64.npy");
        REQUIRE_THROWS_WITH(salt::io::read_npy_float(p), Contains(p.string()) && Contains("'<i8' cannot be read as float"));
        REQUIRE_THROWS_WITH(salt::io::read_npy(fixture("np_f32.npy")).to_int64(), Contains("'<f4' cannot be read as int64"));
    }
    SECTION("bad magic") {
        auto b = read_raw(fixture("np_f32.npy"));
        b[1] = std::byte('X');
        const auto p = write_raw("magic.npy", b);
        REQUIRE_THROWS_WITH(salt::io::read_npy(p), Contains(p.string()) && Contains("not an NPY file") &&
                                                       Contains("magic"));
    }
    SECTION("unsupported version") {
        auto b = read_raw(fixture("np_f32.npy"));
        b[6] = std::byte(9);
        const auto p = write_raw("version.npy", b);
        REQUIRE_THROWS_WITH(salt::io::read_npy(p), Contains("unsupported NPY version 9.0"));
    }
    SECTION("truncated preamble, header and data") {
        auto b = read_raw(fixture("np_f32.npy"));
        const auto p1 = write_raw("short.npy", std::vector<std::byte>(b.begin(), b.begin() + 7));
        REQUIRE_THROWS_WITH(salt::io::read_npy(p1), Contains(p1.string()) && Contains("truncated file") &&
                                                        Contains("7 bytes"));
        const auto p2 = write_raw("short_header.npy", std::vector<std::byte>(b.begin(), b.begin() + 40));
        REQUIRE_THROWS_WITH(salt::io::read_npy(p2), Contains("truncated file") && Contains("header is 118 bytes"));
        const auto p3 = write_raw("short_data.npy", std::vector<std::byte>(b.begin(), b.end() - 4));
        REQUIRE_THROWS_WITH(salt::io::read_npy(p3), Contains(p3.string()) && Contains("truncated file") &&
                                                        Contains("needs 48 data bytes, found 44"));
        b.push_back(std::byte(0));
        const auto p4 = write_raw("long_data.npy", b);
        REQUIRE_THROWS_WITH(salt::io::read_npy(p4), Contains("trailing data") && Contains("found 49"));
    }
    SECTION("malformed header dict") {
        const auto b = read_raw(fixture("np_f32.npy"));
        const auto p1 = write_raw("no_shape.npy", patched(b, "'shape'", "'shapf'"));
        REQUIRE_THROWS_WITH(salt::io::read_npy(p1), Contains(p1.string()) && Contains("malformed header") &&
                                                        Contains("'shapf'"));
        const auto p2 = write_raw("bad_tuple.npy", patched(b, "(3, 4)", "(3, x)"));
        REQUIRE_THROWS_WITH(salt::io::read_npy(p2), Contains("expected a non-negative integer in 'shape'") &&
                                                        Contains("found 'x'"));
        const auto p3 = write_raw("bad_bool.npy", patched(b, "False", "Flase"));
        REQUIRE_THROWS_WITH(salt::io::read_npy(p3), Contains("True or False"));
    }
    SECTION("missing file") {
        const auto p = scratch_dir() / "missing.npy";
        REQUIRE_THROWS_WITH(salt::io::read_npy(p), Contains(p.string()) && Contains("cannot open"));
    }
    SECTION("writer: size mismatch and unwritable destination") {
        const std::vector<float> f(5);
        const std::vector<std::int64_t> shape{2, 3};
        REQUIRE_THROWS_WITH(salt::io::write_npy(scratch_dir() / "x.npy", shape, std::span<const float>(f)),
                            Contains("needs 24 bytes, got 20"));
        const auto bad = scratch_dir() / "no_dir" / "x.npy";
        REQUIRE_THROWS_WITH(salt::io::write_npy(bad, std::vector<std::int64_t>{5}, std::span<const float>(f)),
                            Contains(bad.string()) && Contains("cannot write"));
    }
}
