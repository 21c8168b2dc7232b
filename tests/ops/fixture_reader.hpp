// Reader for the op fixtures written by tests/fixtures/make_op_fixtures.py (format documented there):
//   "SALTFIX1" u32:count { u32:name_len name u8:dtype(0=f32,1=i32) u8:ndim u32:dims[ndim] data }
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace salt::test {

struct FixtureTensor {
    std::vector<std::uint32_t> dims;
    std::vector<float> f;         // dtype 0
    std::vector<std::int32_t> i;  // dtype 1
    std::size_t count() const {
        std::size_t n = 1;
        for (auto d : dims) n *= d;
        return n;
    }
};

class Fixture {
public:
    explicit Fixture(const std::filesystem::path& path) : path_(path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw std::runtime_error("cannot open fixture " + path.string());
        char magic[8];
        read(in, magic, 8);
        if (std::memcmp(magic, "SALTFIX1", 8) != 0) throw std::runtime_error("bad magic in " + path.string());
        const std::uint32_t count = u32(in);
        for (std::uint32_t t = 0; t < count; ++t) {
            const std::uint32_t len = u32(in);
            std::string name(len, '\0');
            read(in, name.data(), len);
            unsigned char hdr[2];
            read(in, hdr, 2);
            FixtureTensor ft;
            for (int d = 0; d < hdr[1]; ++d) ft.dims.push_back(u32(in));
            const std::size_t n = ft.count();
            if (hdr[0] == 0) {
                ft.f.resize(n);
                read(in, ft.f.data(), n * 4);
            } else if (hdr[0] == 1) {
                ft.i.resize(n);
                read(in, ft.i.data(), n * 4);
            } else {
                throw std::runtime_error("bad dtype in " + path.string());
            }
            tensors_[name] = std::move(ft);
        }
    }
    bool has(const std::string& name) const { return tensors_.count(name) != 0; }
    const FixtureTensor& at(const std::string& name) const {
        auto it = tensors_.find(name);
        if (it == tensors_.end()) throw std::runtime_error("fixture " + path_.string() + " has no tensor " + name);
        return it->second;
    }
    const std::vector<float>& f(const std::string& name) const { return at(name).f; }
    const std::vector<std::int32_t>& i(const std::string& name) const { return at(name).i; }

private:
    // The files are little-endian; so are all machines salt targets (x86-64, aarch64).
    static void read(std::ifstream& in, void* dst, std::size_t bytes) {
        in.read(static_cast<char*>(dst), std::streamsize(bytes));
        if (!in) throw std::runtime_error("truncated fixture");
    }
    static std::uint32_t u32(std::ifstream& in) {
        std::uint32_t v;
        read(in, &v, 4);
        return v;
    }
    std::filesystem::path path_;
    std::map<std::string, FixtureTensor> tensors_;
};

}  // namespace salt::test
