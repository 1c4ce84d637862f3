// The host's element-wise loops (host/vector_width.hpp) for a kernel that declares the arrays it
// streams: every element runs once, in a range of any length and offset, and through
// host::for_each over arrays long enough to be fetched ahead.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

namespace {
/// counts[i] += 1, out[i] = 2 in[i] + i; its streams() has null entries, which the loops skip.
struct streaming_count {
    float const* in;
    float *out, *counts;
    void operator()(std::size_t i) const {
        counts[i] += 1.0f;
        out[i] = 2.0f * in[i] + float(i);
    }
    est::detail::streamed_arrays<2, 3> streams() const { return {{in, nullptr}, {out, counts, nullptr}}; }
};
}  // namespace

TEST_CASE("host loops: a streaming kernel runs every element once", "[host][backend]") {
    STATIC_REQUIRE(est::detail::streaming_kernel<streaming_count>);
    // One range: lengths around a cache line's 16 floats and the distance fetched ahead, from
    // offsets on and off a line; then host::for_each over arrays fetched ahead, in ranges among
    // the threads.
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
