// salt/train/schedule.hpp — learning-rate schedules. Each holds the current learning rate; the
// training loop reads lr() and passes it to the optimizer (Adam::set_lr). Each has a small state
// (a few numbers) with state() / load_state() and save() / load() into a safetensors file as one
// F64 vector `<prefix>.state` (load checks its length and values).
//
//   ReduceLROnPlateau  torch.optim.lr_scheduler.ReduceLROnPlateau (1.13) exactly: step(metric) once
//                      per evaluation; mode min/max, factor (< 1), patience, threshold with mode
//                      rel (default, 1e-4) or abs, cooldown, min_lr, eps (1e-8: a reduction
//                      smaller than eps is skipped).
//   WarmupCosine       step-based: for k < warmup: base * k / warmup (the first step runs at lr 0
//                      when warmup > 0, as transformers' get_cosine_schedule_with_warmup); then
//                      min + (base - min) (1 + cos(pi q)) / 2 with q = (k - warmup) / (total - warmup),
//                      clamped to 1 (k >= total keeps min).
//   cosine_tail_lr     the rest of a cosine schedule re-planned while it runs (continuous, falling).
//   Poly               step-based, DeepLab's "poly": min + (base - min) (1 - k / total)^power,
//                      power 0.9, k clamped to total.
// For the step-based ones lr() is the rate for the current step k (starting at 0) and step()
// advances k after the optimizer step: `opt.set_lr(s.lr()); opt.step(); s.step();`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "salt/io/safetensors.hpp"

namespace salt::train {

class ScheduleStateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace detail {
inline void save_state_vector(io::SafetensorsWriter& w, const std::string& prefix, const std::vector<double>& s) {
    w.add_f64(prefix + ".state", {std::int64_t(s.size())}, s.data());
}
inline std::vector<double> load_state_vector(const io::SafetensorsFile& f, const std::string& prefix, std::size_t n,
                                             const char* who) {
    const std::string name = prefix + ".state";
    const auto* t = f.find(name);
    if (!t) throw ScheduleStateError(std::string(who) + " state in " + f.source() + ": tensor '" + name + "' is missing");
    if (t->dtype != io::DType::F64 || t->shape != std::vector<std::int64_t>{std::int64_t(n)})
        throw ScheduleStateError(std::string(who) + " state in " + f.source() + ": tensor '" + name + "' is " +
                                 std::string(io::dtype_name(t->dtype)) + " " + io::shape_string(t->shape) +
                                 ", expected F64 [" + std::to_string(n) + "]");
    return f.to_double(name);
}
inline void check_state_size(std::span<const double> s, std::size_t n, const char* who) {
    if (s.size() != n)
        throw ScheduleStateError(std::string(who) + ": state has " + std::to_string(s.size()) + " numbers, expected " +
                                 std::to_string(n));
}
inline std::int64_t state_count(double x, const char* who, const char* what) {
    if (!(x >= 0.0 && x <= 9007199254740992.0 && x == std::floor(x)))
        throw ScheduleStateError(std::string(who) + ": state " + what + " is not a non-negative integer");
    return std::int64_t(x);
}
}  // namespace detail

struct PlateauOptions {
    enum class Mode { min, max };
    enum class ThresholdMode { rel, abs };
    Mode mode = Mode::min;
    double factor = 0.1;
    int patience = 10;
    double threshold = 1e-4;
    ThresholdMode threshold_mode = ThresholdMode::rel;
    int cooldown = 0;
    double min_lr = 0.0;
    double eps = 1e-8;
};

class ReduceLROnPlateau {
public:
    ReduceLROnPlateau(double lr, PlateauOptions o = {}) : o_(o), lr_(lr) {
        if (!(o_.factor < 1.0)) throw std::invalid_argument("ReduceLROnPlateau: factor should be < 1.0");
        if (o_.patience < 0 || o_.cooldown < 0)
            throw std::invalid_argument("ReduceLROnPlateau: patience and cooldown must be >= 0");
        reset();
    }

    double lr() const { return lr_; }
    double best() const { return best_; }
    std::int64_t num_bad_epochs() const { return bad_; }
    std::int64_t cooldown_counter() const { return cooldown_counter_; }
    std::int64_t last_epoch() const { return last_epoch_; }
    const PlateauOptions& options() const { return o_; }

    // One evaluation's metric; returns the (possibly reduced) learning rate.
    double step(double metric) {
        ++last_epoch_;
        if (is_better(metric, best_)) {
            best_ = metric;
            bad_ = 0;
        } else {
            ++bad_;
        }
        if (cooldown_counter_ > 0) {
            --cooldown_counter_;
            bad_ = 0;
        }
        if (bad_ > o_.patience) {
            const double old_lr = lr_;
            const double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
            if (old_lr - new_lr > o_.eps) lr_ = new_lr;
            cooldown_counter_ = o_.cooldown;
            bad_ = 0;
        }
        return lr_;
    }

    bool is_better(double a, double best) const {
        using M = PlateauOptions::Mode;
        using TM = PlateauOptions::ThresholdMode;
        if (o_.mode == M::min && o_.threshold_mode == TM::rel) return a < best * (1.0 - o_.threshold);
        if (o_.mode == M::min) return a < best - o_.threshold;
        if (o_.threshold_mode == TM::rel) return a > best * (o_.threshold + 1.0);
        return a > best + o_.threshold;
    }

    // {lr, best, num_bad_epochs, cooldown_counter, last_epoch}
    std::vector<double> state() const { return {lr_, best_, double(bad_), double(cooldown_counter_), double(last_epoch_)}; }
    void load_state(std::span<const double> s) {
        detail::check_state_size(s, 5, "ReduceLROnPlateau");
        if (!(s[0] >= 0.0)) throw ScheduleStateError("ReduceLROnPlateau: state lr is negative or NaN");
        const auto bad = detail::state_count(s[2], "ReduceLROnPlateau", "num_bad_epochs");
        const auto cd = detail::state_count(s[3], "ReduceLROnPlateau", "cooldown_counter");
        const auto ep = detail::state_count(s[4], "ReduceLROnPlateau", "last_epoch");
        lr_ = s[0];
        best_ = s[1];
        bad_ = bad;
        cooldown_counter_ = cd;
        last_epoch_ = ep;
    }
    void save(io::SafetensorsWriter& w, const std::string& prefix = "plateau") const {
        detail::save_state_vector(w, prefix, state());
    }
    void load(const io::SafetensorsFile& f, const std::string& prefix = "plateau") {
        load_state(detail::load_state_vector(f, prefix, 5, "ReduceLROnPlateau"));
    }

private:
    void reset() {
        best_ = o_.mode == PlateauOptions::Mode::min ? std::numeric_limits<double>::infinity()
                                                     : -std::numeric_limits<double>::infinity();
        bad_ = 0;
        cooldown_counter_ = 0;
    }

    PlateauOptions o_;
    double lr_;
    double best_ = 0.0;
    std::int64_t bad_ = 0;
    std::int64_t cooldown_counter_ = 0;
    std::int64_t last_epoch_ = 0;
};

// Common part of the step-based schedules: the step counter and its state.
class StepSchedule {
public:
    std::int64_t current_step() const { return step_; }
    void step() { ++step_; }
    void set_step(std::int64_t k) {
        if (k < 0) throw std::invalid_argument("schedule: the step must be >= 0");
        step_ = k;
    }
    std::vector<double> state() const { return {double(step_)}; }
    void load_state(std::span<const double> s) {
        detail::check_state_size(s, 1, "schedule");
        step_ = detail::state_count(s[0], "schedule", "step");
    }
    void save(io::SafetensorsWriter& w, const std::string& prefix = "schedule") const {
        detail::save_state_vector(w, prefix, state());
    }
    void load(const io::SafetensorsFile& f, const std::string& prefix = "schedule") {
        load_state(detail::load_state_vector(f, prefix, 1, "schedule"));
    }

protected:
    std::int64_t step_ = 0;
};

class WarmupCosine : public StepSchedule {
public:
    WarmupCosine(double base_lr, std::int64_t total_steps, std::int64_t warmup_steps = 0, double min_lr = 0.0)
        : base_(base_lr), min_(min_lr), total_(total_steps), warmup_(warmup_steps) {
        if (total_steps <= 0 || warmup_steps < 0 || warmup_steps >= total_steps)
            throw std::invalid_argument("WarmupCosine: need 0 <= warmup_steps < total_steps");
    }
    double lr_at(std::int64_t k) const {
        if (k < warmup_) return base_ * double(k) / double(warmup_);
        const double q = std::min(1.0, double(k - warmup_) / double(total_ - warmup_));
        return min_ + (base_ - min_) * (1.0 + std::cos(std::numbers::pi * q)) / 2.0;
    }
    double lr() const { return lr_at(step_); }

private:
    double base_, min_;
    std::int64_t total_, warmup_;
};

// The rest of a cosine schedule re-planned at step `from` to end at step `to`: it starts at `from_lr`
// (the rate the old plan had reached, so the rate is continuous) and anneals to `min_lr` at `to`.
// A time limit moves a schedule's end while it runs (epochs got slower or faster); laying the
// whole warm-up + cosine out again over the new end would raise the rate when the end moves later
// and drop it abruptly when it moves earlier, where this continues from where the rate is and only
// falls. Steps at or past `to` keep `min_lr`.
inline double cosine_tail_lr(double from_lr, double min_lr, std::int64_t from, std::int64_t to, std::int64_t k) {
    if (k >= to) return min_lr;
    const double q = std::clamp(double(k - from) / double(to - from), 0.0, 1.0);
    return min_lr + (from_lr - min_lr) * (1.0 + std::cos(std::numbers::pi * q)) / 2.0;
}

// How many epochs a time-limited schedule can plan after `epoch` of at most `max_epochs`, with
// `elapsed_s` of the budget `budget_s` used and epochs taking `per_epoch_s` (wall time, validation
// included): the epochs done plus the whole epochs that fit in what is left, never fewer than the
// epochs done.
inline int epochs_that_fit(int epoch, double elapsed_s, double per_epoch_s, double budget_s, int max_epochs) {
    const double more = std::floor((budget_s - elapsed_s) / std::max(per_epoch_s, 1e-3));
    return int(std::clamp(double(epoch) + more, double(epoch), double(std::max(epoch, max_epochs))));
}

class Poly : public StepSchedule {
public:
    Poly(double base_lr, std::int64_t total_steps, double power = 0.9, double min_lr = 0.0)
        : base_(base_lr), min_(min_lr), power_(power), total_(total_steps) {
        if (total_steps <= 0) throw std::invalid_argument("Poly: total_steps must be positive");
    }
    double lr_at(std::int64_t k) const {
        const double q = double(std::min(k, total_)) / double(total_);
        return min_ + (base_ - min_) * std::pow(1.0 - q, power_);
    }
    double lr() const { return lr_at(step_); }

private:
    double base_, min_, power_;
    std::int64_t total_;
};

}  // namespace salt::train
