// Learning-rate schedules: ReduceLROnPlateau against torch 1.13 on metric sequences (lr, best,
// num_bad_epochs and cooldown_counter after every step, compared exactly: the same double
// operations in the same order), warmup-cosine and poly against the formulas evaluated in Python
// (cross-checked there against torch's CosineAnnealingLR / PolynomialLR closed forms); state
// save/load.
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "salt/train/schedule.hpp"
#include "train/train_fixture.hpp"

using namespace salt;
using namespace salt::train;

TEST_CASE("ReduceLROnPlateau matches torch", "[train][schedule]") {
    const auto f = test::train_fixture("schedules.safetensors");
    for (const char* name : {"min_rel", "max_abs", "min_default", "max_rel_floor"}) {
        const std::string p = std::string("plateau.") + name;
        const auto c = f.to_double(p + ".config");  // mode, factor, patience, threshold, tmode, cooldown, min_lr, lr0
        PlateauOptions o;
        o.mode = c[0] == 0 ? PlateauOptions::Mode::min : PlateauOptions::Mode::max;
        o.factor = c[1];
        o.patience = int(c[2]);
        o.threshold = c[3];
        o.threshold_mode = c[4] == 0 ? PlateauOptions::ThresholdMode::rel : PlateauOptions::ThresholdMode::abs;
        o.cooldown = int(c[5]);
        o.min_lr = c[6];
        ReduceLROnPlateau s(c[7], o);
        const auto metrics = f.to_double(p + ".metrics");
        const auto lr = f.to_double(p + ".lr");
        const auto best = f.to_double(p + ".best");
        const auto bad = f.to_int64(p + ".bad");
        const auto cd = f.to_int64(p + ".cooldown");
        int reductions = 0;
        for (std::size_t i = 0; i < metrics.size(); ++i) {
            const double before = s.lr();
            INFO(name << " step " << i);
            CHECK(s.step(metrics[i]) == lr[i]);
            CHECK(s.lr() == lr[i]);
            CHECK(s.best() == best[i]);
            CHECK(s.num_bad_epochs() == bad[i]);
            CHECK(s.cooldown_counter() == cd[i]);
            reductions += s.lr() != before;
        }
        if (std::string(name) != "min_default") CHECK(reductions >= 2);
    }
}

TEST_CASE("ReduceLROnPlateau state save/load resumes identically", "[train][schedule]") {
    PlateauOptions o;
    o.patience = 1;
    o.cooldown = 1;
    o.factor = 0.5;
    ReduceLROnPlateau a(0.1, o), b(0.1, o);
    const std::vector<double> m{1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9};
    for (int i = 0; i < 4; ++i) a.step(m[i]);
    io::SafetensorsWriter w;
    a.save(w);
    b.load(io::SafetensorsFile::parse(w.serialize()));
    CHECK(b.state() == a.state());
    for (std::size_t i = 4; i < m.size(); ++i) CHECK(a.step(m[i]) == b.step(m[i]));
    CHECK_THROWS_AS(b.load_state(std::vector<double>{0.1, 1.0}), ScheduleStateError);
    CHECK_THROWS_AS(b.load_state(std::vector<double>{0.1, 1.0, 0.5, 0, 0}), ScheduleStateError);
    io::SafetensorsWriter w2;
    const double x[3] = {1, 2, 3};
    w2.add_f64("plateau.state", {3}, x);
    CHECK_THROWS_WITH(b.load(io::SafetensorsFile::parse(w2.serialize())), Catch::Contains("plateau.state") && Catch::Contains("[5]"));
    CHECK_THROWS_AS(ReduceLROnPlateau(0.1, PlateauOptions{.factor = 1.0}), std::invalid_argument);
}

TEST_CASE("warmup-cosine and poly follow their formulas", "[train][schedule]") {
    const auto f = test::train_fixture("schedules.safetensors");
    const auto cos = f.to_double("cosine.lr");
    WarmupCosine wc(0.01, 100, 10, 1e-4);
    for (std::size_t k = 0; k < cos.size(); ++k) {
        INFO("cosine step " << k);
        CHECK(std::abs(wc.lr() - cos[k]) <= 1e-15 * 0.01);
        wc.step();
    }
    CHECK(wc.lr_at(0) == 0.0);
    CHECK(wc.lr_at(10) == 0.01);
    CHECK(wc.lr_at(100) == 1e-4);
    const auto poly = f.to_double("poly.lr");
    const auto poly_min = f.to_double("poly_min.lr");
    Poly p(0.02, 50), pm(0.02, 50, 0.9, 1e-4);
    for (std::size_t k = 0; k < poly.size(); ++k) {
        INFO("poly step " << k);
        CHECK(std::abs(p.lr() - poly[k]) <= 1e-15 * 0.02);
        CHECK(std::abs(pm.lr() - poly_min[k]) <= 1e-15 * 0.02);
        p.step();
        pm.step();
    }
    CHECK(p.lr_at(0) == 0.02);
    CHECK(p.lr_at(50) == 0.0);
    // State: the step count.
    Poly q(0.02, 50);
    q.load_state(p.state());
    CHECK(q.current_step() == p.current_step());
    io::SafetensorsWriter w;
    wc.save(w, "cos");
    WarmupCosine wc2(0.01, 100, 10, 1e-4);
    wc2.load(io::SafetensorsFile::parse(w.serialize()), "cos");
    CHECK(wc2.lr() == wc.lr());
    CHECK_THROWS_AS(q.load_state(std::vector<double>{-1.0}), ScheduleStateError);
    CHECK_THROWS_AS(q.load_state(std::vector<double>{1.5}), ScheduleStateError);
    CHECK_THROWS_AS(WarmupCosine(0.1, 10, 10), std::invalid_argument);
}

// A cosine schedule re-planned while it runs (a time limit moving its end): the rate continues from
// where the old plan had it, falls monotonically and reaches the minimum at the new end, whether
// the end moved later or earlier. Expected values by hand: halfway between `from` and `to` the
// cosine factor is (1 + cos(pi/2)) / 2 = 1/2.
TEST_CASE("a re-planned cosine continues from the current rate and never rises", "[train][schedule]") {
    CHECK(cosine_tail_lr(0.5, 0.1, 40, 60, 40) == 0.5);
    CHECK(std::abs(cosine_tail_lr(0.5, 0.1, 40, 60, 50) - 0.3) <= 1e-15);
    CHECK(cosine_tail_lr(0.5, 0.1, 40, 60, 60) == 0.1);
    CHECK(cosine_tail_lr(0.5, 0.1, 40, 60, 75) == 0.1);   // past the end: the minimum
    CHECK(cosine_tail_lr(0.5, 0.1, 40, 40, 40) == 0.1);   // a plan that ends where it is re-planned
    const WarmupCosine planned(0.01, 100, 10, 1e-4);
    const double at40 = planned.lr_at(40);
    for (std::int64_t new_end : {60, 100, 150}) {
        INFO("re-planned at step 40 to end at " << new_end);
        double previous = planned.lr_at(39);
        for (std::int64_t k = 40; k <= new_end + 5; ++k) {
            const double lr = cosine_tail_lr(at40, 1e-4, 40, new_end, k);
            CHECK(lr <= previous);
            previous = lr;
        }
        CHECK(cosine_tail_lr(at40, 1e-4, 40, new_end, 40) == at40);
        CHECK(cosine_tail_lr(at40, 1e-4, 40, new_end, new_end) == 1e-4);
    }
    // Later than planned: above the old plan's rate at the same step (slower decay); earlier: below.
    CHECK(cosine_tail_lr(at40, 1e-4, 40, 150, 70) > planned.lr_at(70));
    CHECK(cosine_tail_lr(at40, 1e-4, 40, 60, 50) < planned.lr_at(50));
}

TEST_CASE("a time limit plans the epochs that fit at the current pace", "[train][schedule]") {
    // 90 minutes, 4.2-minute epochs: after epoch 1 (4.2 minutes used) 20 more fit.
    CHECK(epochs_that_fit(1, 4.2 * 60, 4.2 * 60, 90 * 60, 30) == 21);
    CHECK(epochs_that_fit(1, 4.2 * 60, 4.2 * 60, 90 * 60, 12) == 12);  // at most --epochs
    // After a slow epoch 2 (11 minutes) at 15.2 minutes used: 6 more at that pace; back at 4.2
    // minutes an epoch after epoch 3 (19.4 used): 16 more.
    CHECK(epochs_that_fit(2, 15.2 * 60, 11 * 60, 90 * 60, 30) == 8);
    CHECK(epochs_that_fit(3, 19.4 * 60, 4.2 * 60, 90 * 60, 30) == 19);
    // The budget is spent: the plan ends with the epoch just done, never before it.
    CHECK(epochs_that_fit(5, 95 * 60, 4.2 * 60, 90 * 60, 30) == 5);
    CHECK(epochs_that_fit(5, 10, 0, 90 * 60, 30) == 30);  // a zero-length epoch: everything fits
}
