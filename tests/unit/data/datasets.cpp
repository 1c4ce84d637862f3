#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <xtensor/xbuilder.hpp>

#include <algorithm>
#include <limits>

using namespace est::literals;

namespace {
/// Ten examples: "x" = (i, i + 0.5), "y" = i.
auto numbers() {
    xt::xarray<float> x = xt::zeros<float>({10, 2});
    xt::xarray<std::int32_t> y = xt::arange<std::int32_t>(10);
    for (std::size_t i = 0; i < 10; ++i) x(i, 0) = float(i), x(i, 1) = float(i) + 0.5f;
    return est::data::from_tensor_slices(est::fields("x"_f = est::data::slices<est::shape<2>>(x)),
                                         est::fields("y"_f = est::data::slices<est::shape<>>(y)));
}

template <class Dataset>
std::vector<std::int32_t> labels_of(Dataset const& dataset) {
    std::vector<std::int32_t> out;
    auto it = dataset.make_iterator();
    typename Dataset::element_type e;
    while (it.next(e)) out.push_back(e.labels["y"_f]);
    return out;
}
}  // namespace

TEST_CASE("from_tensor_slices: one example per slice", "[data]") {
    auto d = numbers();
    STATIC_REQUIRE(est::data::Dataset<decltype(d)>);
    CHECK(d.size() == 10);
    auto it = d.make_iterator();
    decltype(d)::element_type e;
    REQUIRE(it.next(e));
    REQUIRE(it.next(e));
    CHECK(e.features["x"_f](1) == 1.5f);
    CHECK(e.labels["y"_f] == 1);
    xt::xarray<float> three = xt::zeros<float>({3, 2});
    xt::xarray<float> four = xt::zeros<float>({4});
    CHECK_THROWS_WITH(est::data::from_tensor_slices(est::fields("a"_f = est::data::slices<est::shape<2>>(three),
                                                                "b"_f = est::data::slices<est::shape<>>(four))),
                      Catch::Contains("field 'b' has 4 examples but 'a' has 3"));
    CHECK_THROWS_WITH(est::data::slices<est::shape<4>>(three),
                      Catch::Contains("does not slice into examples of shape (4,)"));
}

TEST_CASE("shuffle: a permutation, the same for a seed, new each pass", "[data][shuffle]") {
    auto shuffled = numbers().shuffle(4, 42);
    auto first = labels_of(shuffled);
    auto second = labels_of(shuffled);
    auto sorted = first;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == labels_of(numbers()));
    CHECK(first != labels_of(numbers()));
    CHECK(first != second);
    CHECK(labels_of(numbers().shuffle(4, 42)) == first);
    CHECK(labels_of(numbers().shuffle(4, 43)) != first);
    auto fixed = numbers().shuffle(10, 1, {.reshuffle_each_iteration = false});
    CHECK(labels_of(fixed) == labels_of(fixed));
}

TEST_CASE("repeat, batch and map", "[data]") {
    CHECK(labels_of(numbers().repeat(3)).size() == 30);
    auto batched = numbers().repeat(2).batch(8);
    auto it = batched.make_iterator();
    decltype(batched)::element_type b;
    std::vector<std::size_t> sizes;
    std::int32_t last_label = -1;
    while (it.next(b)) {
        sizes.push_back(b.labels["y"_f].batch_size());
        last_label = b.labels["y"_f].data()[b.labels["y"_f].batch_size() - 1];
    }
    CHECK(sizes == std::vector<std::size_t>{8, 8, 4});
    CHECK(last_label == 9);
    CHECK(b.features["x"_f].example(1)[1] == 7.5f);  // the last batch holds examples 6..9

    auto dropped = numbers().batch(4, {.drop_remainder = true});
    auto it2 = dropped.make_iterator();
    decltype(dropped)::element_type b2;
    int count = 0;
    while (it2.next(b2)) ++count;
    CHECK(count == 2);

    auto doubled = numbers().map([](auto e) {
        e.labels["y"_f] *= 2;
        return e;
    });
    CHECK(labels_of(doubled)[3] == 6);
}

TEST_CASE("batch: a size of zero is refused, a size past the data gives one short batch", "[data]") {
    CHECK_THROWS_WITH(numbers().batch(0), Catch::Contains("batch: the batch size must be at least 1, not 0"));
    // The buffers grow with the examples that arrive: a size no memory could hold batches the thirty.
    for (std::size_t size : {std::size_t(16), std::numeric_limits<std::size_t>::max()}) {
        auto whole = numbers().repeat(3).batch(size);
        auto it = whole.make_iterator();
        decltype(whole)::element_type b;
        REQUIRE(it.next(b));
        REQUIRE(b.labels["y"_f].batch_size() == std::min<std::size_t>(size, 30));
        for (std::size_t i = 0; i < b.labels["y"_f].batch_size(); ++i) {  // nothing lost as the buffers grew
            CHECK(b.labels["y"_f].data()[i] == std::int32_t(i % 10));
            CHECK(b.features["x"_f].example(i)[1] == float(i % 10) + 0.5f);
        }
        CHECK(it.next(b) == (size < 30));
    }
}
