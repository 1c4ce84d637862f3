// est's matrix product (host/matrix_product.hpp) against the product computed in double: each way
// of storing A and B, shapes with ragged tiles and panels, k over several blocks and B over several
// blocks (read in place and packed), row strides wider than the rows, alpha and beta; C not read
// where beta is 0; the same bits whatever part of C a call computes; how threads split a product;
// no heap allocation after a thread's first product; an empty product; and the host's gemm on this
// product giving the same bits on one thread and on two. tests/CMakeLists.txt runs the dense
// layers' and the gradient checks on this product everywhere (EST_OWN_GEMM=1) and on oneDNN's
// sgemm (EST_OWN_GEMM=0).
#include "support/omp_threads.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#if defined(EST_COUNTING_ALLOCATOR)
#include "support/heap_allocations.hpp"
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace {

struct product_case {
    bool transpose_a, transpose_b;
    std::size_t m, n, k;
    std::size_t padding = 0;  ///< added to every row stride
};

/// The largest |error| of the product relative to the sum of the |products| of its element.
double worst_error(product_case const& p, float alpha, float beta) {
    std::size_t lda = (p.transpose_a ? p.m : p.k) + p.padding, ldb = (p.transpose_b ? p.k : p.n) + p.padding,
                ldc = p.n + p.padding;
    std::mt19937 engine(7);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> a((p.transpose_a ? p.k : p.m) * lda), b((p.transpose_b ? p.n : p.k) * ldb), c(p.m * ldc);
    for (auto& v : a) v = uniform(engine);
    for (auto& v : b) v = uniform(engine);
    for (auto& v : c) v = uniform(engine);
    std::vector<float> before = c;
    est::detail::matrix_product(p.transpose_a, p.transpose_b, p.m, p.n, p.k, alpha, a.data(), lda, b.data(), ldb, beta,
                                c.data(), ldc);
    double worst = 0.0;
    for (std::size_t i = 0; i < p.m; ++i)
        for (std::size_t j = 0; j < ldc; ++j) {
            if (j >= p.n) {  // past the row: untouched
                REQUIRE(c[i * ldc + j] == before[i * ldc + j]);
                continue;
            }
            double sum = 0.0, magnitude = 0.0;
            for (std::size_t q = 0; q < p.k; ++q) {
                double x = p.transpose_a ? a[q * lda + i] : a[i * lda + q];
                double y = p.transpose_b ? b[j * ldb + q] : b[q * ldb + j];
                sum += x * y, magnitude += std::abs(x * y);
            }
            double expected = alpha * sum + (beta == 0.0f ? 0.0 : beta * double(before[i * ldc + j]));
            double scale = std::abs(alpha) * magnitude + std::abs(beta * before[i * ldc + j]) + 1e-30;
            worst = std::max(worst, std::abs(double(c[i * ldc + j]) - expected) / scale);
        }
    return worst;
}

}  // namespace

TEST_CASE("matrix product: every storage, ragged shapes, several blocks, alpha and beta", "[host][gemm]") {
    if (!est::detail::matrix_product_runs_on_this_cpu()) {
        WARN("this CPU has neither AVX2 with FMA nor AVX-512: est's product does not run here");
        return;
    }
    std::vector<product_case> cases;
    for (bool transpose_a : {false, true})
        for (bool transpose_b : {false, true}) {
            if (transpose_a && transpose_b)
                continue;  // the host's gemm runs that case on oneDNN's sgemm
            cases.push_back({transpose_a, transpose_b, 1, 1, 1});
            cases.push_back({transpose_a, transpose_b, 7, 13, 300, 3});   // ragged tile, panel and transpose
            cases.push_back({transpose_a, transpose_b, 64, 10, 128});     // a classifier's 10 units
            cases.push_back({transpose_a, transpose_b, 17, 70, 519, 1});  // k over 3 blocks
            cases.push_back({transpose_a, transpose_b, 6, 1100, 70});     // B over 2 packed blocks
            cases.push_back({transpose_a, transpose_b, 9, 600, 300});     // B in place over 3 blocks, ragged
            cases.push_back({transpose_a, transpose_b, 7, 1100, 300, 1});  // B packed over 2 blocks of k
            cases.push_back({transpose_a, transpose_b, 5, 1024, 40});      // rows a page apart: in place
            cases.push_back({transpose_a, transpose_b, 5, 1025, 40});      // past a page: packed
            cases.push_back({transpose_a, transpose_b, 64, 256, 784});    // the MLP's first layer
            cases.push_back({transpose_a, transpose_b, 8, 40, 70});       // 6 + 2 rows run as 4 + 4
            cases.push_back({transpose_a, transpose_b, 128, 50, 90, 2});  // two blocks of A, the last shared
            cases.push_back({transpose_a, transpose_b, 250, 1100, 64});   // 3 blocks of A by 2 of B
            // 96 rows or more over B's panels, whose rows span under 16 KiB: read in place (not
            // transposed), over 2 blocks of A; whole panels, and a ragged one packed once.
            cases.push_back({transpose_a, transpose_b, 130, 64, 60});
            cases.push_back({transpose_a, transpose_b, 130, 70, 50});
        }
    for (auto const& p : cases) {
        CAPTURE(p.transpose_a, p.transpose_b, p.m, p.n, p.k, p.padding);
        CHECK(worst_error(p, 1.0f, 0.0f) < 1e-6);
        CHECK(worst_error(p, -1.5f, 0.5f) < 1e-6);
    }
}

TEST_CASE("matrix product: beta 0 does not read C", "[host][gemm]") {
    if (!est::detail::matrix_product_runs_on_this_cpu())
        return;
    for (bool transpose_a : {false, true})
        for (bool transpose_b : {false, true}) {
            if (transpose_a && transpose_b)
                continue;
            for (std::size_t n : {20, 1100}) {  // B in place (where not transposed) and packed
                CAPTURE(transpose_a, transpose_b, n);
                std::size_t m = 4, k = 300;
                std::vector<float> a(m * k, 1.0f), b(k * n, 2.0f), c(m * n, std::nanf(""));
                est::detail::matrix_product(transpose_a, transpose_b, m, n, k, 1.0f, a.data(), transpose_a ? m : k,
                                            b.data(), transpose_b ? k : n, 0.0f, c.data(), n);
                for (float v : c) REQUIRE(v == 600.0f);
            }
        }
}

TEST_CASE("matrix product: C computed whole or in parts is bit-identical", "[host][gemm]") {
    if (!est::detail::matrix_product_runs_on_this_cpu())
        return;
    std::size_t m = 23, n = 45, k = 300;  // parts end inside tiles and panels; k over 2 blocks
    std::mt19937 engine(3);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> a(m * k), b(k * n), start(m * n);
    for (auto* v : {&a, &b, &start})
        for (auto& x : *v) x = uniform(engine);
    for (bool transpose_a : {false, true})
        for (bool transpose_b : {false, true}) {
            if (transpose_a && transpose_b)
                continue;
            CAPTURE(transpose_a, transpose_b);
            std::size_t lda = transpose_a ? m : k, ldb = transpose_b ? k : n;
            auto product = [&](std::size_t row, std::size_t rows, std::size_t column, std::size_t columns,
                               std::vector<float>& c) {
                est::detail::matrix_product(
                    transpose_a, transpose_b, rows, columns, k, -1.5f, a.data() + (transpose_a ? row : row * lda), lda,
                    b.data() + (transpose_b ? column * ldb : column), ldb, 0.5f, c.data() + row * n + column, n);
            };
            std::vector<float> whole = start, by_rows = start, by_columns = start;
            product(0, m, 0, n, whole);
            product(0, 10, 0, n, by_rows);
            product(10, m - 10, 0, n, by_rows);
            product(0, m, 0, 19, by_columns);
            product(0, m, 19, n - 19, by_columns);
            CHECK(by_rows == whole);
            CHECK(by_columns == whole);
        }
}

TEST_CASE("matrix product: B read in place or packed gives the same bits", "[host][gemm]") {
    if (!est::detail::matrix_product_runs_on_this_cpu())
        return;
    // 130 rows of A over B's 50 rows of 70 floats: in place where L1 has 8 ways or more. The same B
    // with rows 1,170 floats apart (more than a page): packed.
    std::size_t m = 130, n = 70, k = 50, far = 1170;
    std::mt19937 engine(5);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<float> a(m * k), b(k * n), b_far(k * far, std::nanf(""));
    for (auto* v : {&a, &b})
        for (auto& x : *v) x = uniform(engine);
    for (std::size_t p = 0; p < k; ++p) std::copy_n(b.data() + p * n, n, b_far.data() + p * far);
    std::vector<float> in_place(m * n), packed(m * n);
    est::detail::matrix_product(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, in_place.data(), n);
    est::detail::matrix_product(false, false, m, n, k, 1.0f, a.data(), k, b_far.data(), far, 0.0f, packed.data(), n);
    CHECK(in_place == packed);
}

TEST_CASE("matrix product: threads split a product where each part reads less twice", "[host][gemm]") {
    using est::detail::matrix_product_splits_rows;
    // The CNN's first dense layer (3136 -> 1024) at batch 64 on two threads. Its forward product,
    // K x^T: by rows, each part packing x (0.8 MB), not reading the whole kernel (12.8 MB).
    CHECK(matrix_product_splits_rows(false, true, 1024, 64, 3136, 2));
    // Its input gradient, dy K: by columns, each part reading dy (0.25 MB), not packing the kernel.
    CHECK_FALSE(matrix_product_splits_rows(false, false, 64, 3136, 1024, 2));
    // Its kernel gradient, dy^T x: by columns, each part packing dy, not x (0.8 MB).
    CHECK_FALSE(matrix_product_splits_rows(true, false, 1024, 3136, 64, 2));
}

TEST_CASE("matrix product: an empty sum only scales C", "[host][gemm]") {
    if (!est::detail::matrix_product_runs_on_this_cpu())
        return;
    std::vector<float> c{1.0f, -2.0f, 3.0f, std::nanf("")};
    est::detail::matrix_product(false, false, 1, 3, 0, 1.0f, nullptr, 0, nullptr, 3, 0.5f, c.data(), 4);
    CHECK(c[0] == 0.5f);
    CHECK(c[1] == -1.0f);
    CHECK(c[2] == 1.5f);
    CHECK(std::isnan(c[3]));  // past the row: untouched
    c[0] = std::nanf("");
    est::detail::matrix_product(false, false, 1, 3, 0, 1.0f, nullptr, 0, nullptr, 3, 0.0f, c.data(), 4);
    CHECK(c[0] == 0.0f);  // beta 0: C not read
    // Through the host's gemm, its parts on two threads each scale theirs.
    test::omp_threads scoped(2);
    std::vector<float> wide(4 * 40, 2.0f), unread_a(4), unread_b(40);  // the parts' A and B point into them
    est::host::gemm_on(est::host::gemm_engine::est_product, false, false, 4, 40, 0, 1.0f, unread_a.data(),
                       unread_b.data(), 0.25f, wide.data());
    CHECK(std::ranges::all_of(wide, [](float x) { return x == 0.5f; }));
}

TEST_CASE("host gemm: an empty sum scales C on either engine and either storage of A", "[host][gemm]") {
    // An empty batch's bias and kernel gradients are such products: the sgemm alone rejected lda 0
    // (A not transposed) and left C as it was (A transposed).
    test::omp_threads scoped(2);
    for (auto engine : {est::host::gemm_engine::onednn_sgemm, est::host::gemm_engine::est_product})
        for (bool transpose_a : {false, true})
            for (float beta : {0.0f, 0.25f}) {
                CAPTURE(int(engine), transpose_a, beta);
                std::vector<float> a(40, 1.0f), b(40, 1.0f), c(4 * 10, 2.0f);
                REQUIRE_NOTHROW(
                    est::host::gemm_on(engine, transpose_a, false, 4, 10, 0, 1.0f, a.data(), b.data(), beta, c.data()));
                CHECK(std::ranges::all_of(c, [&](float x) { return x == 2.0f * beta; }));
            }
}

TEST_CASE("matrix product: the host's gemm gives the same bits on one thread and on two", "[host][gemm]") {
    if (!est::detail::matrix_product_runs_on_this_cpu())
        return;
    struct shape {
        bool transpose_a, transpose_b;
        std::size_t m, n, k;
    };
    // Parts that split rows and columns, B packed and in place, transposed A and B, ragged edges.
    for (auto const& s :
         {shape{false, false, 64, 1100, 300}, shape{true, false, 130, 700, 64}, shape{false, true, 70, 200, 300},
          shape{false, true, 200, 64, 300}, shape{true, false, 250, 1100, 64}, shape{false, false, 1, 300, 64}}) {
        CAPTURE(s.transpose_a, s.transpose_b, s.m, s.n, s.k);
        std::mt19937 engine(11);
        std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
        std::vector<float> a(s.m * s.k), b(s.k * s.n);
        for (auto* v : {&a, &b})
            for (auto& x : *v) x = uniform(engine);
        auto product = [&](int threads) {
            test::omp_threads scoped(threads);
            std::vector<float> c(s.m * s.n);
            est::host::gemm_on(est::host::gemm_engine::est_product, s.transpose_a, s.transpose_b, s.m, s.n, s.k, 1.0f,
                               a.data(), b.data(), 0.0f, c.data());
            return c;
        };
        CHECK(product(1) == product(2));
    }
}

#if defined(EST_COUNTING_ALLOCATOR)
TEST_CASE("matrix product: no heap allocation after a thread's first product", "[host][gemm]") {
    if (!est::detail::matrix_product_runs_on_this_cpu())
        return;
    std::vector<float> a(64 * 784, 0.5f), b(256 * 784, 0.25f), c(64 * 256);
    for (bool transpose_b : {false, true}) {
        est::detail::matrix_product(false, transpose_b, 64, 256, 784, 1.0f, a.data(), 784, b.data(),
                                    transpose_b ? 784 : 256, 0.0f, c.data(), 256);
        auto before = test::heap_allocations();
        est::detail::matrix_product(false, transpose_b, 64, 256, 784, 1.0f, a.data(), 784, b.data(),
                                    transpose_b ? 784 : 256, 0.0f, c.data(), 256);
        CHECK((test::heap_allocations() - before).total == 0);
    }
}
#endif
