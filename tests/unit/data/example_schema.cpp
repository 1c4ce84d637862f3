// Typed Example parsing and the TFRecord dataset, feeding an estimator from a file TFX wrote.
#include "support/classifier.hpp"
#include "support/scratch_directory.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

using namespace est::literals;

namespace {
std::string mnist_fixture() { return std::string(EST_TEST_DATA_DIR) + "/tfrecord/tfx_mnist.tfrecord"; }

using mnist_schema = est::data::example_schema<est::data::fixed_len<"image_floats", float, est::shape<28, 28, 1>>,
                                               est::data::fixed_len<"image_class", std::int64_t>>;

auto parse_mnist = [](std::string const& serialized) {
    auto parsed = mnist_schema::parse(serialized);
    return est::data::example{est::fields("image"_f = parsed["image_floats"_f]),
                              est::fields("label"_f = parsed["image_class"_f])};
};

auto mnist_input() { return est::data::tfrecord_dataset({mnist_fixture()}).map(parse_mnist).batch(100); }
}  // namespace

TEST_CASE("example_schema: field types follow from the schema", "[data][example]") {
    using schema = est::data::example_schema<est::data::fixed_len<"image/encoded", std::string>,
                                             est::data::fixed_len<"image/class/label", std::int64_t, est::shape<1>, -1>,
                                             est::data::var_len<"text", float>>;
    using record = schema::record_type;
    STATIC_REQUIRE(
        std::is_same_v<std::remove_cvref_t<decltype(std::declval<record&>()["image/encoded"_f])>, std::string>);
    STATIC_REQUIRE(
        std::is_same_v<std::remove_cvref_t<decltype(std::declval<record&>()["text"_f])>, std::vector<float>>);

    est::data::tf_example example;
    example.set("image/encoded", std::vector<std::string>{"png bytes"});
    auto parsed = schema::parse(example.serialize());
    CHECK(parsed["image/encoded"_f] == "png bytes");
    CHECK(parsed["image/class/label"_f](0) == -1);  // the default
    CHECK(parsed["text"_f].empty());

    example.set("image/class/label", std::vector<std::int64_t>{4}).set("text", std::vector<float>{1, 2, 3});
    parsed = schema::parse(example.serialize());
    CHECK(parsed["image/class/label"_f](0) == 4);
    CHECK(parsed["text"_f].size() == 3);
}

TEST_CASE("example_schema: mistakes name the feature and the record", "[data][example]") {
    using schema = est::data::example_schema<est::data::fixed_len<"label", std::int64_t>,
                                             est::data::fixed_len<"pixels", float, est::shape<2>>>;
    est::data::tf_example example;
    example.set("pixels", std::vector<float>{1, 2});
    CHECK_THROWS_WITH(
        schema::parse(example.serialize(), "train.tfrecord record 7"),
        Catch::Contains("train.tfrecord record 7") && Catch::Contains("'label' is missing and has no default"));
    example.set("label", std::vector<float>{1});
    CHECK_THROWS_WITH(schema::parse(example.serialize()),
                      Catch::Contains("'label' is a float_list, the schema reads a int64_list"));
    example.set("label", std::vector<std::int64_t>{1}).set("pixels", std::vector<float>{1, 2, 3});
    CHECK_THROWS_WITH(schema::parse(example.serialize()),
                      Catch::Contains("'pixels' has 3 values, the schema expects 2"));
}

TEST_CASE("example_schema: only its features are read; a later entry of a name wins", "[data][example]") {
    using schema = est::data::example_schema<est::data::fixed_len<"label", std::int64_t>>;
    est::data::tf_example example;
    example.set("label", std::vector<std::int64_t>{3}).set("other", std::vector<float>{1, 2});
    std::string serialized = example.serialize();
    CHECK(schema::parse(serialized)["label"_f] == 3);

    // More entries in a second Features field, which protobuf merges into the first: "other"
    // again, with a float list whose length overruns it, and "label" again, holding 7.
    auto entry = [](std::string_view name, std::uint32_t kind, std::string_view list) {
        est::io::protobuf::writer feature, out;
        feature.bytes_field(kind, list);
        out.bytes_field(1, name);
        out.bytes_field(2, feature.data());
        return out.take();
    };
    est::io::protobuf::writer features, message;
    features.bytes_field(1, entry("other", 2, std::string("\x0a\x05\x01", 3)));
    features.bytes_field(1, entry("label", 3, std::string("\x0a\x01\x07", 3)));
    message.bytes_field(1, features.data());
    std::string merged = serialized + message.data();

    // The broken "other" is skipped unparsed, as TensorFlow's fast Example parsing skips features
    // it was not asked for; the later "label" replaces the first, as in protobuf's maps.
    CHECK(schema::parse(merged)["label"_f] == 7);
    CHECK_THROWS_WITH(est::data::tf_example::parse(merged), Catch::Contains("runs past the end"));  // reads all
}

TEST_CASE("tfrecord_dataset: examples from a TFX file, batched, train an estimator", "[data][tfrecord][estimator]") {
    auto dataset = mnist_input();
    auto it = dataset.make_iterator();
    decltype(dataset)::element_type batch;
    std::size_t examples = 0, batches = 0;
    while (it.next(batch)) {
        if (batches == 0) {
            CHECK(batch.labels["label"_f].data()[0] == 9);  // as the fixture's JSON says
            CHECK(batch.labels["label"_f].data()[1] == 3);
            CHECK(batch.features["image"_f].data()[0] == -0.5f);
        }
        examples += batch.labels["label"_f].batch_size();
        ++batches;
    }
    CHECK(examples == 1000);
    CHECK(batches == 10);

    using model = est::sequential<est::input<28, 28, 1>, est::flatten, est::dense<32, est::relu>, est::dense<10>>;
    auto model_fn = test::classifier_model_fn<"image">([] { return est::adam(0.003f); });
    // The input's element spec is taken from the first input_fn's dataset.
    auto estimator = est::make_estimator<model>(
        model_fn, mnist_input,
        est::run_config{.model_dir = test::fresh_model_dir("example-schema-estimator"), .seed = 5});
    auto before = estimator.evaluate(mnist_input);
    estimator.train([] { return est::data::tfrecord_dataset({mnist_fixture()}).map(parse_mnist).repeat(5).batch(50); });
    auto after = estimator.evaluate(mnist_input);
    CHECK(estimator.global_step() == 100);
    CHECK(after["loss"_f] < before["loss"_f]);
    CHECK(after["accuracy"_f] > 0.8);
}

TEST_CASE("tfrecord_dataset: the compression is named est::data::compression, as tf.data names it",
          "[data][tfrecord]") {
    STATIC_REQUIRE(std::is_same_v<est::data::compression, est::io::compression>);
    auto dataset = est::data::tfrecord_dataset(
        {std::string(EST_TEST_DATA_DIR) + "/tfrecord/baskerville_mm10_test-3.tfr"}, est::data::compression::zlib);
    auto it = dataset.make_iterator();
    est::data::tfrecord_dataset::element_type record;
    std::size_t records = 0;
    while (it.next(record)) ++records;
    CHECK(records == 1);
}
