// salt/data/split.hpp — seeded train/val/test splits stratified by salt coverage, and the split file.
//
// stratified_split(ids, classes, fractions, seed): within each coverage class the ids are sorted (so the
// input order does not matter), shuffled with salt::Rng(seed), and the first round(n * val) go to val,
// the next round(n * test) to test, the rest to train. Same ids + classes + fractions + seed -> same split.
//
// The split file is text, one line per id: "<id>\t<train|val|test>" ('#' lines and blank lines are
// ignored). read_split reports the file and line of a malformed line, an unknown part or a duplicate id.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "salt/core/rng.hpp"
#include "salt/io/error.hpp"
#include "salt/io/file.hpp"

namespace salt::data {

enum class Part { train, val, test };

inline const char* part_name(Part p) { return p == Part::train ? "train" : p == Part::val ? "val" : "test"; }

struct SplitFractions {
    double val = 0.1;
    double test = 0.1;
};

struct Split {
    std::vector<std::string> ids;
    std::vector<Part> parts;  // parts[i] is the part of ids[i]

    std::vector<std::string> ids_in(Part p) const {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (parts[i] == p) out.push_back(ids[i]);
        return out;
    }
    std::size_t count(Part p) const { return std::size_t(std::count(parts.begin(), parts.end(), p)); }
    bool operator==(const Split&) const = default;
};

// Fisher-Yates with salt::Rng: the same seed gives the same permutation on every platform.
template <class T>
void shuffle(std::vector<T>& v, Rng& rng) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[std::size_t(rng.below(i))]);
}

inline Split stratified_split(const std::vector<std::string>& ids, const std::vector<int>& classes, SplitFractions f, std::uint64_t seed) {
    if (ids.size() != classes.size()) throw std::invalid_argument("stratified_split: ids and classes differ in length");
    if (f.val < 0 || f.test < 0 || f.val + f.test > 1) throw std::invalid_argument("stratified_split: fractions must be >= 0 and sum to <= 1");
    std::map<int, std::vector<std::string>> groups;
    for (std::size_t i = 0; i < ids.size(); ++i) groups[classes[i]].push_back(ids[i]);
    Rng rng(seed);
    Split s;
    for (auto& [cls, members] : groups) {
        std::sort(members.begin(), members.end());
        shuffle(members, rng);
        const auto n = double(members.size());
        const auto n_val = std::size_t(std::lround(n * f.val));
        const auto n_test = std::min(members.size() - n_val, std::size_t(std::lround(n * f.test)));
        for (std::size_t k = 0; k < members.size(); ++k) {
            s.ids.push_back(members[k]);
            s.parts.push_back(k < n_val ? Part::val : k < n_val + n_test ? Part::test : Part::train);
        }
    }
    return s;
}

inline std::string format_split(const Split& s) {
    std::string out = "# salt split: id<TAB>train|val|test\n";
    for (std::size_t i = 0; i < s.ids.size(); ++i) out += s.ids[i] + "\t" + part_name(s.parts[i]) + "\n";
    return out;
}

inline void write_split(const std::filesystem::path& path, const Split& s) { io::write_file_atomic(path, format_split(s)); }

inline Split parse_split(const std::string& text, const std::string& name = "<split>") {
    Split s;
    std::unordered_set<std::string> seen;
    std::istringstream in(text);
    std::string line;
    long no = 0;
    while (std::getline(in, line)) {
        ++no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        const auto tab = line.find('\t');
        if (tab == std::string::npos || tab == 0) throw io::IoError(name, "expected '<id><TAB><train|val|test>'", no);
        const std::string id = line.substr(0, tab), part = line.substr(tab + 1);
        Part p;
        if (part == "train") p = Part::train;
        else if (part == "val") p = Part::val;
        else if (part == "test") p = Part::test;
        else throw io::IoError(name, "unknown part '" + part + "' (train, val or test)", no);
        if (!seen.insert(id).second) throw io::IoError(name, "duplicate id '" + id + "'", no);
        s.ids.push_back(id);
        s.parts.push_back(p);
    }
    return s;
}

inline Split read_split(const std::filesystem::path& path) { return parse_split(io::read_file_text(path), path.string()); }

}  // namespace salt::data
