// Histogram summaries: the bucket of every kind of float against TensorFlow's rule (the first limit
// above the value, by binary search), and a written HistogramProto read back field by field.
#include <est/io/event_writer.hpp>

#include "support/events.hpp"
#include "support/scratch_directory.hpp"
#if defined(EST_COUNTING_ALLOCATOR)
#include "support/heap_allocations.hpp"
#endif

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <vector>

namespace {

using est::io::event_writer;

/// TensorFlow's Histogram::Add: std::upper_bound over the limits; here +inf and NaN, past the
/// last limit, in the last bucket.
std::size_t tensorflow_bucket(std::span<double const> limits, float value) {
    if (std::isnan(value))
        return limits.size() - 1;
    auto i = std::size_t(std::upper_bound(limits.begin(), limits.end(), double(value)) - limits.begin());
    return std::min(i, limits.size() - 1);
}

}  // namespace

TEST_CASE("a histogram bucket is TensorFlow's for every kind of float", "[io][events]") {
    event_writer::buckets buckets;
    auto limits = buckets.limits();
    REQUIRE(limits.size() == 1550);  // 774 powers of 1.1 each side of 0, 0 and DBL_MAX
    REQUIRE(limits[774] == 0.0);

    constexpr float inf = std::numeric_limits<float>::infinity();
    std::vector<float> values{0.0f,  -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                              -std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::max(),
                              std::numeric_limits<float>::lowest(), std::numeric_limits<float>::denorm_min(),
                              -std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(), 1.0f, -1.0f};
    // Every limit that a float can hold, and the floats on either side of it.
    for (double limit : limits) {
        float f = float(limit);
        values.insert(values.end(), {f, std::nextafter(f, inf), std::nextafter(f, -inf)});
    }
    // Every magnitude and sign: bit patterns drawn uniformly; and a spread of ordinary values.
    std::mt19937 engine(7);
    std::uniform_int_distribution<std::uint32_t> bits;
    std::normal_distribution<float> normal(0.0f, 0.05f);
    for (int i = 0; i < 200'000; ++i) values.push_back(std::bit_cast<float>(bits(engine)));
    for (int i = 0; i < 100'000; ++i) values.push_back(normal(engine));

    std::size_t wrong = 0;
    for (float v : values)
        if (buckets.of(v) != tensorflow_bucket(limits, v)) {
            if (++wrong <= 5)
                UNSCOPED_INFO("bucket of " << v << " (bits " << std::bit_cast<std::uint32_t>(v) << "): " << buckets.of(v)
                                           << ", TensorFlow's " << tensorflow_bucket(limits, v));
        }
    CHECK(wrong == 0);
    CHECK(buckets.of(0.0f) == 775);    // [0, 1e-12): the first limit above 0 is 1e-12
    CHECK(buckets.of(-1e-13f) == 774);  // (-1e-12, 0)
}

TEST_CASE("a histogram summary holds the values' count, range, sums and merged buckets", "[io][events]") {
    auto dir = test::scratch_directory("histogram");
    std::vector<float> values{0.0f, 0.0f, -0.0f, 1.0f, 1.0f, -2.5f, 3e-13f, 1e30f};
    {
        event_writer events(dir);
        events.histogram("weights", values, 7);
    }
    auto summaries = test::read_summaries(dir);
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].tag == "weights");
    CHECK(summaries[0].step == 7);
    auto const& h = summaries[0].histogram;
    CHECK(h.num == 8.0);
    CHECK(h.min == -2.5);
    CHECK(h.max == double(1e30f));
    double sum = 0.0, squares = 0.0;
    for (float v : values) sum += v, squares += double(v) * double(v);
    CHECK(h.sum == sum);
    CHECK(h.sum_squares == squares);

    // The buckets as TensorFlow encodes them: every non-empty bucket, each run of empty ones
    // merged into one whose limit is the run's last.
    event_writer::buckets buckets;
    auto limits = buckets.limits();
    std::vector<double> counts(limits.size());
    for (float v : values) counts[tensorflow_bucket(limits, v)] += 1.0;
    std::vector<double> kept_limits, kept_counts;
    for (std::size_t i = 0; i < limits.size(); ++i) {
        if (counts[i] == 0.0 && !kept_counts.empty() && kept_counts.back() == 0.0) {
            kept_limits.back() = limits[i];
            continue;
        }
        kept_limits.push_back(limits[i]);
        kept_counts.push_back(counts[i]);
    }
    CHECK(h.limits == kept_limits);
    CHECK(h.counts == kept_counts);
    // [0, 1e-12) holds the zeros and 3e-13; 1e30, above the last power of 1.1, is in DBL_MAX's.
    CHECK(std::count_if(h.counts.begin(), h.counts.end(), [](double c) { return c > 0; }) == 4);
    CHECK(h.counts.back() == 1.0);
    std::filesystem::remove_all(dir);
}

#if defined(EST_COUNTING_ALLOCATOR)
TEST_CASE("summaries after the first allocate nothing", "[io][events][allocation]") {
    auto dir = test::scratch_directory("summary_allocations");
    std::vector<float> values(10'000);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::sin(float(i));
    {
        event_writer events(dir);
        std::string png(100, 'x');
        auto write = [&](std::int64_t step) {
            events.scalar("loss", 0.5f, step);
            events.image("input/image/image/0", png, 10, 10, 1, step);
            events.histogram("1_dense/kernel", values, step);
            events.flush();
        };
        auto start = test::heap_allocations();
        write(1);
        auto before = test::heap_allocations();
        CHECK((before - start).total > 0);  // the first summary's buffers: the count sees them
        write(2);
        CHECK((test::heap_allocations() - before).total == 0);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a histogram whose values spread more than the first one's allocates nothing", "[io][events][allocation]") {
    // A model's weights spread as it trains: a later histogram keeps more buckets than the first.
    auto dir = test::scratch_directory("spread_histogram_allocations");
    std::vector<float> narrow(1'000, 0.5f), wide(1'000);
    for (std::size_t i = 0; i < wide.size(); ++i)  // 1,000 floats from 2^-40 to 2^40, either sign
        wide[i] = std::ldexp(1.0f + float(i % 7), int(i % 80) - 40) * (i % 2 ? 1.0f : -1.0f);
    {
        event_writer events(dir);
        events.histogram("1_dense/kernel", narrow, 1);
        auto before = test::heap_allocations();
        events.histogram("1_dense/kernel", wide, 2);
        events.flush();
        CHECK((test::heap_allocations() - before).total == 0);
    }
    std::filesystem::remove_all(dir);
}
#endif
