// Tests of core/: shapes, records, batch tensors, randomness, and the xtensor C++20 fix.
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
/// A kernel that streams its arrays (detail::streamed_arrays): counts[i] += 1, out[i] = 2 in[i] + i.
struct streaming_count {
    float const* in;
    float *out, *counts;
    void operator()(std::size_t i) const {
        counts[i] += 1.0f;
        out[i] = 2.0f * in[i] + float(i);
    }
    est::detail::streamed_arrays<2, 3> streams() const { return {{in, nullptr}, {out, counts, nullptr}}; }
};
static_assert(est::detail::streaming_kernel<streaming_count>);
}  // namespace

TEST_CASE("host back end: a streaming kernel's loop runs every element once", "[core][backend]") {
    // The loop over one range: lengths around a cache line's 16 floats and the distance fetched
    // ahead, from offsets on and off a line; then host::for_each over arrays long enough to be
    // fetched ahead, in ranges among the threads. Null arrays in streams() are skipped.
    constexpr std::size_t ahead = est::detail::prefetch_distance, longest = est::detail::streamed_elements + 17;
    std::vector<float> in(longest), out(longest), counts(longest);
    for (std::size_t i = 0; i < longest; ++i) in[i] = float(i % 7);
    auto runs_once = [&](std::size_t begin, std::size_t end) {
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < longest; ++i) {
            bool inside = i >= begin && i < end;
            wrong += counts[i] != (inside ? 1.0f : 0.0f) || (inside && out[i] != 2.0f * float(i % 7) + float(i));
        }
        return wrong == 0;
    };
    streaming_count kernel{in.data(), out.data(), counts.data()};
    for (std::size_t begin : {std::size_t(0), std::size_t(5)})
        for (std::size_t length : {std::size_t(0), std::size_t(1), std::size_t(15), std::size_t(16), std::size_t(17),
                                   ahead, ahead + 1, ahead + 16, ahead + 17, 3 * ahead + 5}) {
            CAPTURE(begin, length);
            std::fill(counts.begin(), counts.end(), 0.0f);
            est::detail::vector_loop(kernel, begin, begin + length);
            CHECK(runs_once(begin, begin + length));
        }
    std::fill(counts.begin(), counts.end(), 0.0f);
    est::host::for_each(longest, kernel);
    CHECK(runs_once(0, longest));
}

namespace {
/// Whether the calling thread and every thread of an OpenMP team flush denormals.
bool flushing_everywhere() {
    bool all = est::denormals_flushed::active();
#if defined(_OPENMP)
#pragma omp parallel reduction(&& : all)
    all = all && est::denormals_flushed::active();
#endif
    return all;
}
bool flushing_anywhere() {
    bool any = est::denormals_flushed::active();
#if defined(_OPENMP)
#pragma omp parallel reduction(|| : any)
    any = any || est::denormals_flushed::active();
#endif
    return any;
}
}  // namespace

TEST_CASE("denormals_flushed: flushes on every thread while it lives, then restores", "[core][denormals]") {
    volatile float tiny = 1e-40f;  // denormal
    REQUIRE_FALSE(flushing_anywhere());
    CHECK(tiny * 1.0f != 0.0f);
    {
        est::denormals_flushed outer;
#if defined(__x86_64__) || defined(__i386__)
        CHECK(flushing_everywhere());
        CHECK(tiny * 1.0f == 0.0f);  // read as 0 (DAZ)
        {
            est::denormals_flushed inner;
            CHECK(flushing_everywhere());
        }
        CHECK(flushing_everywhere());  // as the inner one found it
#endif
    }
    CHECK_FALSE(flushing_anywhere());
    CHECK(tiny * 1.0f != 0.0f);
}
