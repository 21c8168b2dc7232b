// The F(2x2, 3x3) Winograd forward convolution (salt/backend/simd/winograd.hpp) against the exact
// convolution, computed here in double, with a rounding-error bound derived for the algorithm.
//
// The bound. Write the output as y = sum over terms of c * x * w, where c is a product of entries
// of A^T, G and B^T (all in {0, +-1, +-1/2}). In floating point every operation rounds with a
// relative error of at most u = 2^-24, and halving is exact, so each term reaches the output
// multiplied by at most k factors (1 + delta_i), |delta_i| <= u, where k is the number of roundings
// on its way: 2 (input transform: two levels of 2-term sums), 4 (filter transform: two levels of
// 3-term sums), 1 + (Cin - 1) (the product and the channel sum; a fused multiply-add or a blocked
// sum rounds no more often), 4 (output transform: two levels of 3-term sums), 1 (bias). By the
// standard lemma (Higham, "Accuracy and Stability of Numerical Algorithms", 2002, lemma 3.1),
//   |y_computed - y| <= gamma(k) * S,  k = Cin + 11,  gamma(k) = k u / (1 - k u),
// where S is the same computation on |x|, |w|, |A^T|, |G|, |B^T| (no cancellation), plus |bias|.
// The test computes y and S in double independently of the kernel and checks every output.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

#include "backend/conformance.hpp"
#include "salt/backend/simd/winograd.hpp"

using namespace salt;
using namespace salt::backend::simd;
using salt::test::conformance::kEps;
using salt::test::conformance::rnd;

namespace {

struct Case {
    int batch, H, W, cin, cout, d;
    bool bias;
};

// The exact output (double) and the bound's S, straight from the definitions (no tiles).
void exact_and_abs_bound(const Case& k, const std::vector<float>& x, const std::vector<float>& w,
                         const std::vector<float>& b, std::vector<double>& y, std::vector<double>& s) {
    const double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    const double G[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
    const double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
    const int H = k.H, W = k.W, C = k.cin, CO = k.cout, d = k.d;
    auto xin = [&](int n, int iy, int ix, int c) -> double {
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) return 0.0;
        return x[((std::size_t(n) * H + iy) * W + ix) * C + c];
    };
    y.assign(std::size_t(k.batch) * H * W * CO, 0.0);
    s.assign(y.size(), 0.0);
    // |G| |g| |G^T| per (ci, co).
    std::vector<double> ua(std::size_t(16) * C * CO);
    for (int ci = 0; ci < C; ++ci)
        for (int co = 0; co < CO; ++co)
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) {
                    double acc = 0;
                    for (int ky = 0; ky < 3; ++ky)
                        for (int kx = 0; kx < 3; ++kx)
                            acc += std::abs(G[i][ky]) * std::abs(double(w[(std::size_t(ky * 3 + kx) * C + ci) * CO + co])) *
                                   std::abs(G[j][kx]);
                    ua[(std::size_t(i * 4 + j) * C + ci) * CO + co] = acc;
                }
    for (int n = 0; n < k.batch; ++n)
        for (int oy = 0; oy < H; ++oy)
            for (int ox = 0; ox < W; ++ox)
                for (int co = 0; co < CO; ++co) {
                    // Exact: the direct definition.
                    double acc = k.bias ? double(b[co]) : 0.0;
                    for (int ky = 0; ky < 3; ++ky)
                        for (int kx = 0; kx < 3; ++kx)
                            for (int c = 0; c < C; ++c)
                                acc += xin(n, oy - d + ky * d, ox - d + kx * d, c) *
                                       double(w[(std::size_t(ky * 3 + kx) * C + c) * CO + co]);
                    y[((std::size_t(n) * H + oy) * W + ox) * CO + co] = acc;
                    // S: the tile holding this output in its phase grid, in absolute values.
                    const int py = oy % d, px = ox % d, gy = oy / d, gx = ox / d;
                    const int a = gy % 2, e = gx % 2, ty = gy / 2, tx = gx / 2;
                    double sum = k.bias ? std::abs(double(b[co])) : 0.0;
                    for (int i = 0; i < 4; ++i)
                        for (int j = 0; j < 4; ++j) {
                            if (AT[a][i] == 0 || AT[e][j] == 0) continue;
                            double m = 0;
                            for (int c = 0; c < C; ++c) {
                                double v = 0;  // (|B^T| |d| |B|)[i][j]
                                for (int p = 0; p < 4; ++p)
                                    for (int q = 0; q < 4; ++q)
                                        v += std::abs(BT[i][p]) *
                                             std::abs(xin(n, (2 * ty - 1 + p) * d + py, (2 * tx - 1 + q) * d + px, c)) *
                                             std::abs(BT[j][q]);
                                m += v * ua[(std::size_t(i * 4 + j) * C + c) * CO + co];
                            }
                            sum += m;  // |A^T| entries are 0 or 1
                        }
                    s[((std::size_t(n) * H + oy) * W + ox) * CO + co] = sum;
                }
}

std::vector<float> run_winograd(const Case& k, const std::vector<float>& x, const std::vector<float>& w,
                                const std::vector<float>& b, int threads) {
    Device dev(Options{.threads = threads});
    std::vector<float> u(std::size_t(16) * k.cin * k.cout), y(std::size_t(k.batch) * k.H * k.W * k.cout, -7.f);
    winograd_filter_transform(w.data(), k.cin, k.cout, u.data());
    winograd_conv3x3_forward(dev, Shape{k.H, k.W, k.cin}, k.batch, k.cout, k.d, x.data(), u.data(),
                             k.bias ? b.data() : nullptr, y.data());
    return y;
}

}  // namespace

TEST_CASE("winograd F(2x2,3x3): every output within the derived rounding bound of the exact convolution",
          "[backend][winograd]") {
    // Odd and even sizes (partial tiles), dilations 1-4 and one larger than the map (only the centre
    // tap reads real pixels), channel counts off the vector width, and Cin past the GEMM's K block.
    const Case cases[] = {
        {2, 5, 7, 3, 5, 1, true},   {1, 8, 8, 16, 17, 1, false}, {2, 6, 9, 33, 20, 2, true},
        {1, 16, 16, 64, 32, 4, true}, {1, 13, 11, 5, 3, 3, false}, {1, 2, 3, 4, 4, 1, true},
        {1, 4, 4, 8, 8, 12, true},  {1, 9, 10, 300, 19, 2, true}, {3, 1, 1, 7, 9, 1, true},
    };
    const double u = kEps;  // 2^-24
    std::uint64_t seed = 100;
    for (const auto& k : cases) {
        const auto x = rnd(std::size_t(k.batch) * k.H * k.W * k.cin, ++seed);
        const auto w = rnd(std::size_t(9) * k.cin * k.cout, ++seed);
        const auto b = rnd(std::size_t(k.cout), ++seed);
        std::vector<double> exact, s;
        exact_and_abs_bound(k, x, w, b, exact, s);
        const auto y = run_winograd(k, x, w, b, 1);
        const double kk = k.cin + 11, gamma = kk * u / (1 - kk * u);
        double worst = 0;  // largest |error| / bound
        std::size_t bad = 0;
        for (std::size_t i = 0; i < y.size(); ++i) {
            const double err = std::abs(double(y[i]) - exact[i]), bound = gamma * s[i];
            worst = std::max(worst, bound > 0 ? err / bound : (err > 0 ? 1e9 : 0.0));
            if (!(err <= bound)) ++bad;
        }
        INFO("batch " << k.batch << ", " << k.H << "x" << k.W << ", Cin " << k.cin << ", Cout " << k.cout << ", dilation "
                      << k.d << ": worst error / bound " << worst);
        CHECK(bad == 0);
        std::printf("winograd %dx%dx%d -> %d, dilation %d: worst error is %.3f of the bound\n", k.H, k.W, k.cin, k.cout,
                    k.d, worst);
    }
}

TEST_CASE("winograd F(2x2,3x3): bitwise the same on 1 and 2 threads", "[backend][winograd]") {
    const Case k{2, 12, 10, 24, 40, 2, true};
    const auto x = rnd(std::size_t(k.batch) * k.H * k.W * k.cin, 7);
    const auto w = rnd(std::size_t(9) * k.cin * k.cout, 8);
    const auto b = rnd(std::size_t(k.cout), 9);
    CHECK(run_winograd(k, x, w, b, 1) == run_winograd(k, x, w, b, 2));
}

TEST_CASE("winograd F(2x2,3x3): which convolutions it takes", "[backend][winograd]") {
    CHECK(winograd_applies(Conv2dParams{.in_channels = 8, .out_channels = 8, .kernel = 3, .stride = 1, .padding = 1, .dilation = 1}));
    CHECK(winograd_applies(Conv2dParams{.in_channels = 8, .out_channels = 8, .kernel = 3, .stride = 1, .padding = 12, .dilation = 12}));
    CHECK_FALSE(winograd_applies(Conv2dParams{.in_channels = 8, .out_channels = 8, .kernel = 3, .stride = 2, .padding = 1, .dilation = 1}));
    CHECK_FALSE(winograd_applies(Conv2dParams{.in_channels = 8, .out_channels = 8, .kernel = 3, .stride = 1, .padding = 0, .dilation = 1}));
    CHECK_FALSE(winograd_applies(Conv2dParams{.in_channels = 8, .out_channels = 8, .kernel = 1, .stride = 1, .padding = 0, .dilation = 1}));
    CHECK_FALSE(winograd_applies(Conv2dParams{.in_channels = 8, .out_channels = 8, .kernel = 7, .stride = 1, .padding = 3, .dilation = 1}));
}
