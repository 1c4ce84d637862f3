#include "support/omp_threads.hpp"
#include "unit/nn/gradient_check.hpp"

#include <est/host/direct_convolution.hpp>

#include <cmath>
#include <random>
#include <vector>

namespace {

using est::onednn::direct_convolution;
using est::onednn::direct_convolution_dims;

/// The four passes of a stride-1 convolution, in double, by their definitions.
struct plain_convolution {
    direct_convolution_dims d;
    std::size_t batch;

    /// The input position under output (oh, ow) at tap (kh, kw), or false where it is padding.
    bool input_at(std::size_t oh, std::size_t ow, std::size_t kh, std::size_t kw, std::size_t& h,
                  std::size_t& w) const {
        long ih = long(oh + kh) - long(d.pad_top), iw = long(ow + kw) - long(d.pad_left);
        if (ih < 0 || iw < 0 || ih >= long(d.height) || iw >= long(d.width))
            return false;
        h = std::size_t(ih), w = std::size_t(iw);
        return true;
    }
    std::size_t x_at(std::size_t n, std::size_t h, std::size_t w, std::size_t c) const {
        return ((n * d.height + h) * d.width + w) * d.channels + c;
    }
    std::size_t y_at(std::size_t n, std::size_t h, std::size_t w, std::size_t o) const {
        return ((n * d.out_height + h) * d.out_width + w) * d.out_channels + o;
    }
    std::size_t k_at(std::size_t kh, std::size_t kw, std::size_t c, std::size_t o) const {
        return ((kh * d.window + kw) * d.channels + c) * d.out_channels + o;
    }

    /// Calls f(x index, y index, kernel index) for every product of the convolution.
    template <class F>
    void each_product(F f) const {
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t oh = 0; oh < d.out_height; ++oh)
                for (std::size_t ow = 0; ow < d.out_width; ++ow)
                    for (std::size_t kh = 0; kh < d.window; ++kh)
                        for (std::size_t kw = 0; kw < d.window; ++kw) {
                            std::size_t h, w;
                            if (!input_at(oh, ow, kh, kw, h, w))
                                continue;
                            for (std::size_t c = 0; c < d.channels; ++c)
                                for (std::size_t o = 0; o < d.out_channels; ++o)
                                    f(x_at(n, h, w, c), y_at(n, oh, ow, o), k_at(kh, kw, c, o));
                        }
    }
};

std::vector<float> random_values(std::size_t n, unsigned seed) {
    std::mt19937 engine(seed);
    std::uniform_real_distribution<float> draw(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = draw(engine);
    return v;
}

template <class Expected>
void check_close(std::vector<float> const& actual, Expected const& expected, char const* what) {
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
        INFO(what << " at " << i);
        REQUIRE(actual[i] == Approx(double(expected[i])).margin(1e-4).epsilon(1e-4));
    }
}

void check_against_plain(direct_convolution_dims const& d, std::size_t batch) {
    INFO(d.height << "x" << d.width << "x" << d.channels << " to " << d.out_channels << ", window " << d.window
                  << ", padding " << d.pad_top << " " << d.pad_left << " " << d.pad_bottom << " " << d.pad_right);
    plain_convolution plain{d, batch};
    std::size_t xs = batch * d.height * d.width * d.channels, ys = batch * d.out_height * d.out_width * d.out_channels,
                ks = d.window * d.window * d.channels * d.out_channels;
    auto x = random_values(xs, 1), kernel = random_values(ks, 2), bias = random_values(d.out_channels, 3),
         dy = random_values(ys, 4);

    std::vector<double> y(ys), dx(xs, 0.0), dk(ks, 0.0), db(d.out_channels, 0.0);
    for (std::size_t i = 0; i < ys; ++i) y[i] = bias[i % d.out_channels];
    plain.each_product([&](std::size_t xi, std::size_t yi, std::size_t ki) {
        y[yi] += double(x[xi]) * kernel[ki];
        dx[xi] += double(dy[yi]) * kernel[ki];
        dk[ki] += double(dy[yi]) * x[xi];
    });
    for (std::size_t i = 0; i < ys; ++i) db[i % d.out_channels] += dy[i];
    if (d.op == est::post_op::relu)
        for (auto& v : y) v = v > 0.0 ? v : 0.0;

    direct_convolution conv(d);
    std::vector<float> y_direct(ys), dx_direct(xs), dk_direct(ks), db_direct(d.out_channels);
    conv.forward(x.data(), batch, kernel.data(), bias.data(), y_direct.data());
    conv.backward_data(dy.data(), batch, kernel.data(), dx_direct.data());
    conv.backward_weights(x.data(), dy.data(), batch, dk_direct.data(), db_direct.data());
    check_close(y_direct, y, "the output");
    check_close(dx_direct, dx, "the input gradient");
    check_close(dk_direct, dk, "the kernel gradient");
    check_close(db_direct, db, "the bias gradient");
}

}  // namespace

TEST_CASE("direct convolution: the four passes agree with the convolution's definition", "[nn][conv2d]") {
    if (!direct_convolution::runs_on_this_cpu()) {
        WARN("est's direct convolution kernels need AVX-512; oneDNN runs every convolution on this CPU");
        return;
    }
    using est::post_op;
    // The CNN's second convolution: 'same' padding, a row of 14 positions, two tiles of 32 filters.
    check_against_plain({14, 14, 32, 14, 14, 64, 5, 2, 2, 2, 2, post_op::relu}, 3);
    // Rows of 15 positions (a tile of 14 and one of 1), 48 filters (tiles of 32 and 16), no padding.
    check_against_plain({9, 17, 16, 7, 15, 48, 3, 0, 0, 0, 0, post_op::none}, 2);
    // An even window: TensorFlow's 'same' pads one row and column before, two after.
    check_against_plain({6, 5, 32, 6, 5, 16, 4, 1, 1, 2, 2, post_op::none}, 2);
    // A 1x1 window, and batches below and above the weights gradient's 8 parts.
    check_against_plain({3, 3, 16, 3, 3, 16, 1, 0, 0, 0, 0, post_op::relu}, 1);
    check_against_plain({4, 6, 16, 4, 6, 32, 3, 1, 1, 1, 1, post_op::none}, 11);
}

TEST_CASE("direct convolution: the kernel gradient does not depend on the number of threads", "[nn][conv2d]") {
    if (!direct_convolution::runs_on_this_cpu()) {
        WARN("est's direct convolution kernels need AVX-512; oneDNN runs every convolution on this CPU");
        return;
    }
    direct_convolution_dims d{14, 14, 32, 14, 14, 64, 5, 2, 2, 2, 2, est::post_op::relu};
    std::size_t batch = 13;
    auto x = random_values(batch * 14 * 14 * 32, 5), dy = random_values(batch * 14 * 14 * 64, 6);
    auto gradient = [&](int threads) {
        test::omp_threads scope(threads);
        direct_convolution conv(d);
        std::vector<float> dk(25 * 32 * 64 + 64);
        conv.backward_weights(x.data(), dy.data(), batch, dk.data(), dk.data() + 25 * 32 * 64);
        return dk;
    };
    CHECK(gradient(1) == gradient(2));
    CHECK(gradient(2) == gradient(3));
}

TEST_CASE("conv2d: gradients match finite differences where est's kernels run the convolution",
          "[nn][conv2d][gradient]") {
    // Channels in multiples of 16 and stride 1: est's direct kernels on AVX-512, oneDNN elsewhere.
    test::check_gradients<est::conv2d<32, 3, est::same>, est::shape<4, 17, 16>>(2);
    test::check_gradients<est::conv2d<16, 4, est::same>, est::shape<5, 6, 32>>(2);
    test::check_gradients<est::conv2d<48, 2, est::valid>, est::shape<3, 4, 16>>(3);
}
