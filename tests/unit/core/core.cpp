// Tests of core/: shapes, records, batch tensors, randomness, the xtensor C++20 fix, and the
// flushing of denormals.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xbuilder.hpp>

using namespace est::literals;

TEST_CASE("shape: rank, size and extents", "[core][shape]") {
    using s = est::shape<28, 28, 1>;
    STATIC_REQUIRE(s::rank == 3);
    STATIC_REQUIRE(s::size == 784);
    STATIC_REQUIRE(s::extents[1] == 28);
    STATIC_REQUIRE(est::shape<>::size == 1);
    STATIC_REQUIRE(s{} == est::shape<28, 28, 1>{});
    STATIC_REQUIRE_FALSE(s{} == est::shape<784>{});
    CHECK(s::to_string() == "(28, 28, 1)");
    CHECK(est::shape<10>::to_string() == "(10,)");
    constexpr est::batch_shape<s> batched{64};
    STATIC_REQUIRE(batched.size() == 64 * 784);
    STATIC_REQUIRE(batched.extents()[0] == 64);
    STATIC_REQUIRE(batched.extents()[3] == 1);
}

TEST_CASE("record: lookup by compile-time name", "[core][record]") {
    auto r = est::fields("a"_f = 1, "b"_f = 2.5);
    STATIC_REQUIRE(decltype(r)::contains("a"_f));
    STATIC_REQUIRE_FALSE(decltype(r)::contains("c"_f));
    CHECK(r["b"_f] == 2.5);
    r["a"_f] = 7;
    CHECK(r["a"_f] == 7);
    std::string names;
    r.for_each([&](std::string_view name, auto const&) { names += name; });
    CHECK(names == "ab");
}

TEST_CASE("batch_tensor: resizing to a known size keeps the storage", "[core][tensor]") {
    est::batch_tensor<float, est::shape<2, 3>> t(4);
    float* data = t.data();
    t.resize(2);
    CHECK(t.data() == data);
    CHECK(t.size() == 12);
    t.resize(4);
    CHECK(t.data() == data);
    auto x = t.xview();
    CHECK(x.dimension() == 3);
    CHECK(x.shape()[0] == 4);
    CHECK(x.shape()[2] == 3);
}

TEST_CASE("xtensor: eval of a dynamic-rank expression keeps its shape under C++20", "[core][xtensor]") {
    xt::xarray<double> a = xt::ones<double>({3, 3});
    auto evaluated = xt::eval(a + xt::eye<double>(3));
    REQUIRE(evaluated.dimension() == 2);
    CHECK(evaluated.shape()[0] == 3);
    CHECK(evaluated.shape()[1] == 3);
    CHECK(evaluated(1, 1) == 2.0);
    CHECK(evaluated(0, 1) == 1.0);
}

TEST_CASE("random: uniform_at is pure and roughly uniform", "[core][random]") {
    CHECK(est::uniform_at(1, 2, 3) == est::uniform_at(1, 2, 3));
    CHECK(est::uniform_at(1, 2, 3) != est::uniform_at(1, 2, 4));
    double sum = 0.0;
    for (std::uint64_t i = 0; i < 10000; ++i) sum += est::uniform_at(9, 0, i);
    CHECK(sum / 10000.0 == Approx(0.5).margin(0.02));
    est::random_engine a(5), b(5);
    CHECK(a() == b());
    CHECK(a.below(10) < 10);
}

TEST_CASE("host back end: gemm with transposes", "[core][backend]") {
    std::vector<float> a{1, 2, 3, 4, 5, 6};  // 2x3
    std::vector<float> b{1, 0, 0, 1, 1, 1};  // 3x2
    std::vector<float> c(4, 0.0f);
    est::host::gemm(false, false, 2, 2, 3, 1.0f, a.data(), b.data(), 0.0f, c.data());
    CHECK(c == std::vector<float>{4, 5, 10, 11});
    std::vector<float> ct(9, 0.0f);  // a^T a: 3x3
    est::host::gemm(true, false, 3, 3, 2, 1.0f, a.data(), a.data(), 0.0f, ct.data());
    CHECK(ct[0] == 17);
    CHECK(ct[4] == 29);
    std::vector<float> cc(4, 0.0f);  // a a^T: 2x2
    est::host::gemm(false, true, 2, 2, 3, 1.0f, a.data(), a.data(), 0.0f, cc.data());
    CHECK(cc == std::vector<float>{14, 32, 32, 77});
}

namespace {
/// How many of the calling thread and the threads of an OpenMP team flush denormals, and of how many.
std::pair<int, int> threads_flushing() {
    int flushing = est::denormals_flushed::active(), threads = 1;
#if defined(_OPENMP)
#pragma omp parallel reduction(+ : flushing, threads)
    flushing += est::denormals_flushed::active(), threads += 1;
#endif
    return {flushing, threads};
}
}  // namespace

TEST_CASE("denormals_flushed: flushes on every thread while it lives, then restores", "[core][denormals]") {
    volatile float denormal = 1e-40f, small = 1e-20f;
    auto [before, threads] = threads_flushing();
    REQUIRE(before == 0);
    CHECK(denormal * 2.0f != 0.0f);
    CHECK(small * small != 0.0f);
    {
        est::denormals_flushed outer;
#if defined(__x86_64__) || defined(__i386__)
        CHECK(threads_flushing().first == threads);
        CHECK(denormal * 2.0f == 0.0f);  // a denormal input read as 0 (DAZ)
        CHECK(small * small == 0.0f);    // a denormal result written as 0 (FTZ)
        {
            est::denormals_flushed inner;
            CHECK(threads_flushing().first == threads);
        }
        CHECK(threads_flushing().first == threads);  // as the inner one found them
#endif
    }
    CHECK(threads_flushing().first == 0);
    CHECK(denormal * 2.0f != 0.0f);
}
