// tf.train.Example serialization and parsing: round trips, errors, and the examples in files
// TensorFlow tools wrote (tests/data/tfrecord, decoded independently into the .json beside each
// file).
#include "support/sha256.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

namespace {
std::string fixture(std::string const& name) { return std::string(EST_TEST_DATA_DIR "/tfrecord/") + name; }

template <class T>
std::string packed_le(std::vector<T> const& values) {  // this host is little-endian, like the digests
    return std::string(reinterpret_cast<char const*>(values.data()), values.size() * sizeof(T));
}

void check_feature(est::data::feature const& f, nlohmann::json const& expected, std::string const& where) {
    INFO(where);
    REQUIRE(f.type_name() == expected["type"].get<std::string>());
    REQUIRE(f.size() == expected["length"].get<std::size_t>());
    if (f.type == est::data::feature::kind::bytes_list) {
        for (std::size_t i = 0; i < f.bytes.size(); ++i) {
            auto const& e = expected["values"][i];
            CHECK(f.bytes[i].size() == e["len"].get<std::size_t>());
            CHECK(test::sha256_hex(f.bytes[i]) == e["sha256"].get<std::string>());
            if (e.contains("text"))
                CHECK(f.bytes[i] == e["text"].get<std::string>());
        }
        return;
    }
    auto check_list = [&](auto const& values) {
        using T = typename std::decay_t<decltype(values)>::value_type;
        if (expected.contains("values")) {
            auto want = expected["values"].get<std::vector<T>>();
            CHECK(values == want);
        } else {
            auto head = expected["head"].get<std::vector<T>>();
            CHECK(std::equal(head.begin(), head.end(), values.begin()));
            CHECK(test::sha256_hex(packed_le(values)) == expected["values_sha256"].get<std::string>());
        }
    };
    if (f.type == est::data::feature::kind::float_list)
        check_list(f.floats);
    else
        check_list(f.int64s);
}

void check_examples(std::string const& name) {
    nlohmann::json expected = nlohmann::json::parse(std::ifstream(fixture(name + ".json")));
    est::io::tfrecord_reader reader(fixture(name));
    est::io::tfrecord record;
    std::size_t count = 0;
    while (reader.next(record)) {
        auto const& e = expected["records"][count];
        INFO(name << " record " << count);
        auto example = est::data::tf_example::parse(record.data);
        REQUIRE(example.features.size() == e["features"].size());
        for (auto const& [feature_name, feature_json] : e["features"].items())
            check_feature(example[feature_name], feature_json, name + " feature " + feature_name);
        ++count;
    }
    CHECK(count == expected["num_records"].get<std::size_t>());
}
}  // namespace

TEST_CASE("tf_example: the examples TensorFlow tools wrote parse as their decoded JSON says", "[data][example]") {
    check_examples("tfx_mnist.tfrecord");
    check_examples("tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz");
    check_examples("models_deeplab_pascal_voc_seg_val-00000-of-00001.tfrecord");
    check_examples("baskerville_mm10_test-3.tfr");
    check_examples("baskerville_mm10_train-7_empty.tfr");
}

TEST_CASE("tf_example: serialize and parse round trip; errors name the feature", "[data][example]") {
    est::data::tf_example example;
    example.set("image/encoded", std::vector<std::string>{"\x89PNG"})
        .set("image/class/label", std::vector<std::int64_t>{7, -3})
        .set("scores", std::vector<float>{0.5f, -1.25f});
    auto parsed = est::data::tf_example::parse(example.serialize());
    CHECK(parsed["image/encoded"].bytes == std::vector<std::string>{"\x89PNG"});
    CHECK(parsed["image/class/label"].int64s == std::vector<std::int64_t>{7, -3});
    CHECK(parsed["scores"].floats == std::vector<float>{0.5f, -1.25f});
    CHECK(parsed["scores"].type_name() == "float_list");
    CHECK_THROWS_WITH(parsed["label"], Catch::Contains("no feature 'label'") && Catch::Contains("image/class/label"));
    std::string broken = example.serialize();
    broken.resize(broken.size() - 3);
    CHECK_THROWS_WITH(est::data::tf_example::parse(broken), Catch::Contains("runs past the end"));
}
