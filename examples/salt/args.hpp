// examples/salt/args.hpp — the tiny argument parser shared by the salt subcommands.
//
// Options are "--name value" or "--name=value"; flags are "--name". Every command understands --help
// (usage to stdout, exit 0). Unknown options, missing values, missing required options and values that
// do not parse throw UsageError; main() prints the message and the synopsis to stderr and exits with 2.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/io/number.hpp"

namespace salt::cli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Numbers given on the command line or recorded in a run file: the whole text must be the number
// (salt::io::to_integer / to_real: locale-independent, "2.9" and "1e10" are not integers, nan and
// inf are not numbers) and within [lo, hi]. `what` names the value in the error ("option
// '--epochs'", "RUN/run.txt: epochs").
inline long long parse_integer(const std::string& text, const std::string& what, long long lo, long long hi) {
    const auto x = io::to_integer(text);
    if (!x || *x < lo || *x > hi)
        throw UsageError(what + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + text + "'");
    return *x;
}
inline double parse_real(const std::string& text, const std::string& what, double lo, double hi) {
    const auto x = io::to_real(text);
    auto show = [](double v) {
        char b[32];
        std::snprintf(b, sizeof b, "%g", v);
        return std::string(b);
    };
    if (!x || *x < lo || *x > hi)
        throw UsageError(what + " must be a number in [" + show(lo) + ", " + show(hi) + "], got '" + text + "'");
    return *x;
}

// Thrown by parse() when --help was given; main() prints the usage and exits with 0.
struct HelpRequested {};

class Args {
public:
    Args(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {}

    Args& option(const std::string& name, const std::string& value_name, const std::string& help, std::string default_value = "",
                 bool required = false) {
        specs_.push_back({name, value_name, help, std::move(default_value), required, false});
        return *this;
    }
    Args& required(const std::string& name, const std::string& value_name, const std::string& help) {
        return option(name, value_name, help, "", true);
    }
    Args& flag(const std::string& name, const std::string& help) {
        specs_.push_back({name, "", help, "", false, true});
        return *this;
    }

    void parse(int argc, char** argv) {
        for (int i = 0; i < argc; ++i) {
            std::string a = argv[i];
            if (a == "--help" || a == "-h") throw HelpRequested{};
            if (a.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + a + "'");
            std::string name = a.substr(2), value;
            bool inline_value = false;
            if (const auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                inline_value = true;
            }
            const Spec* s = find(name);
            if (!s) throw UsageError("unknown option '--" + name + "'");
            if (s->flag) {
                if (inline_value) throw UsageError("option '--" + name + "' takes no value");
                values_[name] = std::string(1, '1');  // not = "1": GCC 12 warns falsely (-Wrestrict, PR 105329)
                continue;
            }
            if (!inline_value) {
                if (i + 1 >= argc) throw UsageError("option '--" + name + "' needs a value (" + s->value_name + ")");
                value = argv[++i];
            }
            values_[name] = value;
        }
        for (const auto& s : specs_)
            if (s.required && !values_.count(s.name)) throw UsageError("missing required option '--" + s.name + " " + s.value_name + "'");
    }

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    std::string get(const std::string& name) const {
        if (auto it = values_.find(name); it != values_.end()) return it->second;
        const Spec* s = find(name);
        return s ? s->default_value : std::string();
    }
    long long get_int(const std::string& name, long long lo, long long hi) const {
        return parse_integer(get(name), "option '--" + name + "'", lo, hi);
    }
    double get_real(const std::string& name, double lo, double hi) const {
        return parse_real(get(name), "option '--" + name + "'", lo, hi);
    }
    // The one-line synopsis (the first line of usage()): what a usage error shows, so the message is
    // not buried under the whole option list.
    std::string synopsis() const { return usage().substr(0, usage().find('\n')); }
    std::string usage() const {
        std::string u = "usage: salt " + command_;
        for (const auto& s : specs_) {
            std::string part = "--" + s.name + (s.flag ? "" : " " + s.value_name);
            u += s.required ? " " + part : " [" + part + "]";
        }
        u += "\n\n" + summary_ + "\n\noptions:\n";
        for (const auto& s : specs_) {
            std::string left = "  --" + s.name + (s.flag ? "" : " " + s.value_name);
            if (left.size() < 26) left.resize(26, ' ');
            else left += "  ";
            u += left + s.help;
            if (!s.default_value.empty()) u += " (default " + s.default_value + ")";
            if (s.required) u += " (required)";
            u += "\n";
        }
        u += "  --help                  show this help\n";
        return u;
    }

private:
    struct Spec {
        std::string name, value_name, help, default_value;
        bool required = false, flag = false;
    };
    const Spec* find(const std::string& name) const {
        for (const auto& s : specs_)
            if (s.name == name) return &s;
        return nullptr;
    }
    std::string command_, summary_;
    std::vector<Spec> specs_;
    std::map<std::string, std::string> values_;
};

}  // namespace salt::cli
