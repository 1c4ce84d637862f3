// TFRecord reading and writing, and tf.train.Example parsing, checked against files TensorFlow
// tools wrote (tests/data/tfrecord, decoded independently into the .json beside each file).
#include "support/sha256.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace {
std::string fixture(std::string const& name) { return std::string(EST_TEST_DATA_DIR) + "/tfrecord/" + name; }

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

void check_file(std::string const& name) {
    nlohmann::json expected = nlohmann::json::parse(std::ifstream(fixture(name + ".json")));
    est::data::tfrecord_reader reader(fixture(name));
    std::string compression = expected["compression"];
    std::transform(compression.begin(), compression.end(), compression.begin(), ::tolower);
    CHECK(est::data::compression_name(reader.kind()) == compression);
    est::data::tfrecord record;
    std::size_t count = 0;
    while (reader.next(record)) {
        auto const& e = expected["records"][count];
        INFO(name << " record " << count);
        CHECK(record.index == e["index"].get<std::uint64_t>());
        CHECK(record.offset == e["offset"].get<std::uint64_t>());
        CHECK(record.data.size() == e["length"].get<std::size_t>());
        CHECK(test::sha256_hex(record.data) == e["sha256"].get<std::string>());
        auto example = est::data::tf_example::parse(record.data);
        REQUIRE(example.features.size() == e["features"].size());
        for (auto const& [feature_name, feature_json] : e["features"].items())
            check_feature(example[feature_name], feature_json, name + " feature " + feature_name);
        ++count;
    }
    CHECK(count == expected["num_records"].get<std::size_t>());
}

std::string scratch(std::string const& name) {
    auto dir = std::filesystem::temp_directory_path() / "est-tfrecord-tests";
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

std::string read_bytes(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
void write_bytes(std::string const& path, std::string const& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}
}  // namespace

TEST_CASE("tfrecord: files TensorFlow tools wrote read as their decoded JSON says", "[data][tfrecord]") {
    check_file("tfx_mnist.tfrecord");
    check_file("tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz");
    check_file("models_deeplab_pascal_voc_seg_val-00000-of-00001.tfrecord");
    check_file("baskerville_mm10_test-3.tfr");
    check_file("baskerville_mm10_train-7_empty.tfr");
}

TEST_CASE("tfrecord: written files read back, in every compression", "[data][tfrecord]") {
    for (auto c : {est::data::compression::none, est::data::compression::gzip, est::data::compression::zlib}) {
        std::string path = scratch("roundtrip-" + std::string(est::data::compression_name(c)) + ".tfrecord");
        std::vector<std::string> records{"", "a", std::string(100000, 'x'), "last"};
        {
            est::data::tfrecord_writer writer(path, c);
            for (auto const& r : records) writer.write(r);
        }
        est::data::tfrecord_reader reader(path);
        CHECK(reader.kind() == c);
        est::data::tfrecord record;
        for (auto const& r : records) {
            REQUIRE(reader.next(record));
            CHECK(record.data == r);
        }
        CHECK_FALSE(reader.next(record));
    }
}

TEST_CASE("tfrecord: corrupt and truncated files are errors naming the file and offset", "[data][tfrecord]") {
    std::string good = scratch("good.tfrecord");
    {
        est::data::tfrecord_writer writer(good);
        writer.write("first record");
        writer.write("second record");
    }
    std::string bytes = read_bytes(good);
    auto read_all = [](std::string const& path, est::data::compression c = est::data::compression::detect) {
        est::data::tfrecord_reader reader(path, c);
        est::data::tfrecord record;
        while (reader.next(record)) {
        }
    };

    std::string length_flip = bytes;
    length_flip[28 + 1] ^= 0x01;  // the second record's length
    write_bytes(scratch("length.tfrecord"), length_flip);
    CHECK_THROWS_WITH(read_all(scratch("length.tfrecord")), Catch::Contains("length.tfrecord") &&
                                                                Catch::Contains("record 1 at byte 28") &&
                                                                Catch::Contains("corrupt length"));

    std::string data_flip = bytes;
    data_flip[12 + 3] ^= 0x20;  // inside the first record's data
    write_bytes(scratch("data.tfrecord"), data_flip);
    CHECK_THROWS_WITH(read_all(scratch("data.tfrecord")),
                      Catch::Contains("record 0 at byte 0") && Catch::Contains("corrupt data"));

    write_bytes(scratch("tail.tfrecord"), bytes.substr(0, bytes.size() - 6));
    CHECK_THROWS_WITH(read_all(scratch("tail.tfrecord")),
                      Catch::Contains("record 1 at byte 28") && Catch::Contains("truncated"));

    CHECK_THROWS_WITH(
        read_all(fixture("tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz"), est::data::compression::zlib),
        Catch::Contains("not a valid zlib stream"));
    CHECK_THROWS_WITH(read_all(fixture("tfx_mnist.tfrecord"), est::data::compression::gzip),
                      Catch::Contains("not a valid gzip stream"));
    CHECK_THROWS_WITH(read_all(scratch("missing.tfrecord")),
                      Catch::Contains("missing.tfrecord") && Catch::Contains("cannot be opened"));

    std::string gz = scratch("truncated.gz");
    write_bytes(gz, read_bytes(fixture("tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz")).substr(0, 1000));
    CHECK_THROWS_WITH(read_all(gz), Catch::Contains("truncated"));
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
