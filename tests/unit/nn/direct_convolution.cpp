// est's direct convolution over few channels in training (host/direct_convolution.hpp) against the
// convolution's definition computed in double: the forward pass with bias and ReLU, the weights',
// bias's and input gradients; whole column blocks and the rest, every group of filter vectors, on
// the host's threads and on one; the same bits from run to run.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include "support/close_to_definition.hpp"
#include "support/omp_threads.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace {

/// One forward and backward pass of `batch` random images through G with Op, compared with the
/// definition; then again, which must give the same bits.
template <class G, est::post_op Op>
void check_training(std::size_t batch) {
    using convolution = est::onednn::direct_convolution<G, Op>;
    static_assert(convolution::fits);
    constexpr std::size_t C = G::channels, K = G::window, O = G::out_channels;
    est::random_engine engine(11);
    auto uniform = [&](std::size_t n) {
        std::vector<float> v(n);
        for (float& e : v) e = engine.uniform(-1.0f, 1.0f);
        return v;
    };
    std::vector<float> x = uniform(batch * G::input_size), w = uniform(G::kernel_size), bias = uniform(O),
                       dy = uniform(batch * G::output_size);

    // y = op(sum over the window of x w + bias); with dz = dy (the gradient before op), dx = sum of
    // dz w over the windows that read x, dw = sum of x dz, db = sum of dz.
    std::vector<double> y(batch * G::output_size), dx(x.size()), dw(w.size()), db(O);
    for (std::size_t n = 0; n < batch; ++n)
        for (std::size_t r = 0; r < G::out_height; ++r)
            for (std::size_t col = 0; col < G::out_width; ++col)
                for (std::size_t o = 0; o < O; ++o) {
                    std::size_t out = ((n * G::out_height + r) * G::out_width + col) * O + o;
                    double sum = bias[o];
                    db[o] += dy[out];
                    for (std::size_t ky = 0; ky < K; ++ky)
                        for (std::size_t kx = 0; kx < K; ++kx) {
                            std::size_t h = r + ky, v = col + kx;  // in the padded image
                            if (h < G::pad_top || h - G::pad_top >= G::height || v < G::pad_left ||
                                v - G::pad_left >= G::width)
                                continue;
                            for (std::size_t c = 0; c < C; ++c) {
                                std::size_t xi =
                                    ((n * G::height + h - G::pad_top) * G::width + v - G::pad_left) * C + c;
                                std::size_t wi = ((ky * K + kx) * C + c) * O + o;
                                sum += double(x[xi]) * w[wi];
                                dx[xi] += double(dy[out]) * w[wi];
                                dw[wi] += double(x[xi]) * dy[out];
                            }
                        }
                    y[out] = Op == est::post_op::relu ? std::max(sum, 0.0) : sum;
                }

    convolution direct;
    std::vector<float> got_y(y.size()), got_dx(dx.size()), got_dw(dw.size()), got_db(db.size());
    direct.template forward<est::host>(x.data(), batch, w.data(), bias.data(), got_y.data());
    direct.template backward<est::host>(x.data(), dy.data(), batch, w.data(), got_dw.data(), got_db.data(),
                                        got_dx.data());
    test::check_close(got_y, y, "y");
    test::check_close(got_dx, dx, "dx");
    test::check_close(got_dw, dw, "dw");
    test::check_close(got_db, db, "db");

    // Again, and without the input gradient: the same bits.
    std::vector<float> again_y(y.size()), again_dw(dw.size()), again_db(db.size());
    direct.template forward<est::host>(x.data(), batch, w.data(), bias.data(), again_y.data());
    direct.template backward<est::host>(x.data(), dy.data(), batch, w.data(), again_dw.data(), again_db.data(),
                                        nullptr);
    CHECK(again_y == got_y);
    CHECK(again_dw == got_dw);
    CHECK(again_db == got_db);
}

// Geometries: height, width, channels, filters, window, stride, padding before, output extent.
/// The example's first convolution: 28x28x1 to 32 filters, 5x5 'same'.
using example = est::window_geometry<28, 28, 1, 32, 5, 1, 2, 2, 28, 28>;
/// 13x12x3 to 16 filters, 3x3 'valid' (11x10): three channels, a rest of columns.
using valid = est::window_geometry<13, 12, 3, 16, 3, 1, 0, 0, 11, 10>;
/// 9x9x2 to 48 filters, 7x7 'same': the widest window.
using wide = est::window_geometry<9, 9, 2, 48, 7, 1, 3, 3, 9, 9>;
/// 8x8x1 to 64 filters, 3x3 'same': AVX2's 8 filter vectors in weights-gradient groups of 3, 3
/// and the 2 left over.
using many_filters = est::window_geometry<8, 8, 1, 64, 3, 1, 1, 1, 8, 8>;
/// 9x9x2 to 112 filters, 5x5 'same': AVX-512's 7 filter vectors in forward groups of 4 and the 3
/// left over, and in weights-gradient groups of 5 and the 2 left over.
using seven_vectors = est::window_geometry<9, 9, 2, 112, 5, 1, 2, 2, 9, 9>;
/// 6x4x3 to 16 filters, 3x3 'same': rows narrower than one block of columns.
using narrow = est::window_geometry<6, 4, 3, 16, 3, 1, 1, 1, 6, 4>;

}  // namespace

TEST_CASE("est's direct convolution over few channels in training: forward, weights, bias and input gradients",
          "[nn][conv2d][direct]") {
    if (!est::onednn::direct_convolution<example, est::post_op::relu>::runs_on_this_cpu()) {
        WARN("the kernels do not run here: no AVX2 with FMA, or EST_DIRECT_CONVOLUTION=0");
        return;
    }
    check_training<example, est::post_op::relu>(3);
    check_training<valid, est::post_op::none>(5);
    check_training<wide, est::post_op::relu>(1);
    check_training<many_filters, est::post_op::relu>(2);
    check_training<seven_vectors, est::post_op::none>(2);
    check_training<narrow, est::post_op::relu>(3);
    // On one thread: the same results.
    test::omp_threads one(1);
    check_training<example, est::post_op::none>(2);
}

TEST_CASE("est's direct convolution covers few channels at stride 1 and filters in multiples of 16",
          "[nn][conv2d][direct]") {
    STATIC_REQUIRE(est::onednn::direct_convolution<example, est::post_op::relu>::fits);
    // 8 channels: oneDNN's kernels take them.
    STATIC_REQUIRE_FALSE(est::onednn::direct_convolution<est::window_geometry<28, 28, 8, 32, 5, 1, 2, 2, 28, 28>,
                                                         est::post_op::relu>::fits);
    // 24 filters, not a multiple of 16.
    STATIC_REQUIRE_FALSE(est::onednn::direct_convolution<est::window_geometry<28, 28, 1, 24, 5, 1, 2, 2, 28, 28>,
                                                         est::post_op::relu>::fits);
    // Stride 2.
    STATIC_REQUIRE_FALSE(est::onednn::direct_convolution<est::window_geometry<28, 28, 1, 32, 5, 2, 2, 2, 14, 14>,
                                                         est::post_op::relu>::fits);
}
