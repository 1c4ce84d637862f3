// JPEG decoding: the photos of a TFRecord TensorFlow's DeepLab tools wrote, in color and in gray,
// and corrupt input named.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

TEST_CASE("jpeg: decodes the photos of a TensorFlow-written TFRecord, in color and gray", "[io][jpeg][image]") {
    est::io::tfrecord_reader file(EST_TEST_DATA_DIR
                                  "/tfrecord/models_deeplab_pascal_voc_seg_val-00000-of-00001.tfrecord");
    est::io::tfrecord record;
    std::size_t count = 0;
    while (file.next(record)) {
        auto example = est::data::tf_example::parse(record.data);
        auto height = std::size_t(example["image/height"].int64s.at(0));
        auto width = std::size_t(example["image/width"].int64s.at(0));
        REQUIRE(example["image/format"].bytes.at(0) == "jpeg");
        auto photo = est::io::decode_jpeg(example["image/encoded"].bytes.at(0));
        CHECK(photo.height == height);
        CHECK(photo.width == width);
        CHECK(photo.channels == std::size_t(example["image/channels"].int64s.at(0)));
        auto gray = est::io::decode_jpeg(example["image/encoded"].bytes.at(0), 1);
        CHECK(gray.channels == 1);
        CHECK(gray.pixels.size() == height * width);
        CHECK_THROWS_WITH(est::io::decode_jpeg(example["image/encoded"].bytes.at(0), 4),
                          Catch::Contains("decode_jpeg: channels must be 0 (as stored), 1 or 3, not 4"));
        ++count;
    }
    CHECK(count == 3);
}

TEST_CASE("jpeg: corrupt input named", "[io][jpeg][image]") {
    std::string not_jpeg = "\xff\xd8\xff garbage";
    CHECK_THROWS_WITH(est::io::decode_jpeg(not_jpeg), Catch::Contains("decode_jpeg: corrupt JPEG"));
}

TEST_CASE("jpeg: truncated data and huge dimensions are errors, not gigabytes of gray", "[io][jpeg][image][fuzz]") {
    // Fuzz inputs (first byte: channels): an 8x8 JPEG whose header says 4096x4096, and 65500x65500.
    auto input = [](std::string const& name) {
        std::ifstream in(EST_TEST_DATA_DIR "/fuzz/jpeg/" + name, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {}).substr(1);
    };
    CHECK_THROWS_WITH(est::io::decode_jpeg(input("truncated-large")),
                      Catch::Contains("decode_jpeg: corrupt JPEG") && Catch::Contains("premature end of data segment"));
    CHECK_THROWS_WITH(est::io::decode_jpeg(input("huge-dimensions")),
                      Catch::Contains("decode_jpeg: corrupt JPEG: it declares a 65500x65500 image, more than the "
                                      "268435456 pixels est decodes"));
}
