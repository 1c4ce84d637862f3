// Winograd's F(2x2, 5x5) in training (host/winograd_convolution.hpp) against the convolution's
// definition computed in double: the forward pass with bias and ReLU, the input gradient in NHWC and
// in oneDNN's channel blocks, the weights' and the bias's gradients; on the host's threads and on
// one.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include "support/close_to_definition.hpp"
#include "support/omp_threads.hpp"

#include <cmath>
#include <cstddef>
#include <vector>

namespace {

struct geometry {
    std::size_t batch, height, width, channels, filters;
    std::size_t image() const { return height * width * channels; }
    std::size_t output() const { return height * width * filters; }
};

/// x[n][h][w][c] in NHWC or in channel blocks of `block`.
std::size_t at(geometry const& g, std::size_t n, std::size_t h, std::size_t w, std::size_t c, std::size_t channels,
               std::size_t block) {
    std::size_t positions = g.height * g.width, p = h * g.width + w;
    if (block == 0)
        return (n * positions + p) * channels + c;
    return ((n * (channels / block) + c / block) * positions + p) * block + c % block;
}

/// Whether the tap (h + kh - 2, w + kw - 2) lies inside the image.
bool inside(geometry const& g, std::size_t h, std::size_t w, std::size_t kh, std::size_t kw) {
    return h + kh >= 2 && h + kh - 2 < g.height && w + kw >= 2 && w + kw - 2 < g.width;
}

/// One forward and backward pass on random values, compared with the definition.
void check_training(geometry const& g, std::size_t block, est::post_op op) {
    est::random_engine engine(5);
    auto uniform = [&](std::size_t n) {
        std::vector<float> v(n);
        for (float& e : v) e = engine.uniform(-1.0f, 1.0f);
        return v;
    };
    std::vector<float> x = uniform(g.batch * g.image()), w = uniform(25 * g.channels * g.filters),
                       bias = uniform(g.filters), dy = uniform(g.batch * g.output());

    // The definition: y = op(sum over the window of x w + bias); with dz = dy (the gradient before
    // op), dx = sum of dz w over the windows that read x, dw = sum of x dz, db = sum of dz.
    std::vector<double> y(g.batch * g.output()), dx(g.batch * g.image()), dw(w.size()), db(g.filters);
    for (std::size_t n = 0; n < g.batch; ++n)
        for (std::size_t h = 0; h < g.height; ++h)
            for (std::size_t c0 = 0; c0 < g.width; ++c0)
                for (std::size_t o = 0; o < g.filters; ++o) {
                    std::size_t out = ((n * g.height + h) * g.width + c0) * g.filters + o;
                    double sum = bias[o];
                    db[o] += dy[out];
                    for (std::size_t kh = 0; kh < 5; ++kh)
                        for (std::size_t kw = 0; kw < 5; ++kw) {
                            if (!inside(g, h, c0, kh, kw))
                                continue;
                            for (std::size_t c = 0; c < g.channels; ++c) {
                                std::size_t xi = at(g, n, h + kh - 2, c0 + kw - 2, c, g.channels, block);
                                std::size_t wi = ((kh * 5 + kw) * g.channels + c) * g.filters + o;
                                sum += double(x[xi]) * w[wi];
                                dx[xi] += double(dy[out]) * w[wi];
                                dw[wi] += double(x[xi]) * dy[out];
                            }
                        }
                    y[out] = op == est::post_op::relu ? std::max(sum, 0.0) : sum;
                }

    est::onednn::winograd_convolution winograd({g.height, g.width, g.channels, g.filters, op});
    std::vector<float> got_y(y.size()), got_dx(dx.size()), got_dw(dw.size()), got_db(db.size());
    winograd.forward<est::host>(x.data(), g.batch, block, w.data(), bias.data(), got_y.data());
    winograd.backward<est::host>(x.data(), dy.data(), g.batch, block, w.data(), got_dw.data(), got_db.data(),
                                 got_dx.data());
    test::check_close(got_y, y, "y");
    test::check_close(got_dx, dx, "dx");
    // The weights' gradient sums every tile of the batch in the transformed domain, where B^T and A
    // scale the values up (by up to 10 and 3 a dimension) before G^T scales them back: its rounding
    // error, about 1.4e-5 of the largest value on the example's geometry, is larger.
    test::check_close(got_dw, dw, "dw", 5e-5);
    test::check_close(got_db, db, "db");

    // Without the input gradient: the same weights' gradient, dx untouched.
    std::vector<float> again_dw(dw.size()), again_db(db.size());
    winograd.backward<est::host>(x.data(), dy.data(), g.batch, block, w.data(), again_dw.data(), again_db.data(),
                                 nullptr);
    CHECK(again_dw == got_dw);
    CHECK(again_db == got_db);
}

}  // namespace

TEST_CASE("Winograd's F(2x2, 5x5) in training: forward, input, weights and bias gradients as defined",
          "[nn][conv2d][winograd]") {
    if (!est::onednn::winograd_convolution::runs_on_this_cpu()) {
        WARN("this CPU has neither AVX2 nor AVX-512 (or EST_WINOGRAD=0): the Winograd kernels do not run here");
        return;
    }
    // The example's second convolution at a small batch, ReLU, NHWC input.
    check_training({3, 14, 14, 32, 64}, 0, est::post_op::relu);
    // Channel blocks of 16 and of 8; 48 filters (a block of 32 and one of 16); 5x3 tiles, fewer than
    // a register block of tiles in a row; one image.
    check_training({2, 10, 6, 16, 48}, 16, est::post_op::none);
    check_training({1, 4, 8, 32, 16}, 8, est::post_op::relu);
    // On one thread: the same results.
    test::omp_threads one(1);
    check_training({3, 6, 6, 16, 32}, 0, est::post_op::none);
}
