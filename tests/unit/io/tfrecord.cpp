// TFRecord reading and writing: framing, compression and CRCs, checked against files TensorFlow
// tools wrote (tests/data/tfrecord, decoded independently into the .json beside each file).
// Their tf.train.Examples are checked in tests/unit/data/tf_example.cpp.
#include "support/scratch_directory.hpp"
#include "support/sha256.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace {
std::string fixture(std::string const& name) { return std::string(EST_TEST_DATA_DIR "/tfrecord/") + name; }

void check_file(std::string const& name) {
    nlohmann::json expected = nlohmann::json::parse(std::ifstream(fixture(name + ".json")));
    est::io::tfrecord_reader reader(fixture(name));
    std::string compression = expected["compression"];
    std::transform(compression.begin(), compression.end(), compression.begin(), ::tolower);
    CHECK(est::io::compression_name(reader.kind()) == compression);
    est::io::tfrecord record;
    std::size_t count = 0;
    while (reader.next(record)) {
        auto const& e = expected["records"][count];
        INFO(name << " record " << count);
        CHECK(record.index == e["index"].get<std::uint64_t>());
        CHECK(record.offset == e["offset"].get<std::uint64_t>());
        CHECK(record.data.size() == e["length"].get<std::size_t>());
        CHECK(test::sha256_hex(record.data) == e["sha256"].get<std::string>());
        ++count;
    }
    CHECK(count == expected["num_records"].get<std::size_t>());
}

std::string scratch(std::string const& name) {
    static auto const dir = test::scratch_directory("tfrecord");
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

TEST_CASE("tfrecord: files TensorFlow tools wrote read as their decoded JSON says", "[io][tfrecord]") {
    check_file("tfx_mnist.tfrecord");
    check_file("tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz");
    check_file("models_deeplab_pascal_voc_seg_val-00000-of-00001.tfrecord");
    check_file("baskerville_mm10_test-3.tfr");
    check_file("baskerville_mm10_train-7_empty.tfr");
}

TEST_CASE("tfrecord: written files read back, in every compression", "[io][tfrecord]") {
    for (auto c : {est::io::compression::none, est::io::compression::gzip, est::io::compression::zlib}) {
        std::string path = scratch("roundtrip-" + std::string(est::io::compression_name(c)) + ".tfrecord");
        std::vector<std::string> records{"", "a", std::string(100000, 'x'), "last"};
        {
            est::io::tfrecord_writer writer(path, c);
            for (auto const& r : records) writer.write(r);
        }
        est::io::tfrecord_reader reader(path);
        CHECK(reader.kind() == c);
        est::io::tfrecord record;
        for (auto const& r : records) {
            REQUIRE(reader.next(record));
            CHECK(record.data == r);
        }
        CHECK_FALSE(reader.next(record));
    }
}

TEST_CASE("tfrecord: corrupt and truncated files are errors naming the file and offset", "[io][tfrecord]") {
    std::string good = scratch("good.tfrecord");
    {
        est::io::tfrecord_writer writer(good);
        writer.write("first record");
        writer.write("second record");
    }
    std::string bytes = read_bytes(good);
    auto read_all = [](std::string const& path, est::io::compression c = est::io::compression::detect) {
        est::io::tfrecord_reader reader(path, c);
        est::io::tfrecord record;
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
        read_all(fixture("tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz"), est::io::compression::zlib),
        Catch::Contains("not a valid zlib stream"));
    CHECK_THROWS_WITH(read_all(fixture("tfx_mnist.tfrecord"), est::io::compression::gzip),
                      Catch::Contains("not a valid gzip stream"));
    CHECK_THROWS_WITH(read_all(scratch("missing.tfrecord")),
                      Catch::Contains("missing.tfrecord") && Catch::Contains("cannot be opened"));

    std::string gz = scratch("truncated.gz");
    write_bytes(gz, read_bytes(fixture("tfx_penguin_Split-eval_data_tfrecord-00000-of-00001.gz")).substr(0, 1000));
    CHECK_THROWS_WITH(read_all(gz), Catch::Contains("truncated"));
}
