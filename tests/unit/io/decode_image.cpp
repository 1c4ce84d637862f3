// decode_image: PNG and JPEG told apart by their signatures (the JPEG photos and PNG masks of a
// TFRecord TensorFlow's DeepLab tools wrote), and other formats named.
#include <est/est.hpp>

#include <catch2/catch.hpp>

TEST_CASE("decode_image: the JPEG photos and PNG masks of a TensorFlow-written TFRecord", "[io][image]") {
    est::io::tfrecord_reader file(EST_TEST_DATA_DIR
                                  "/tfrecord/models_deeplab_pascal_voc_seg_val-00000-of-00001.tfrecord");
    est::io::tfrecord record;
    std::size_t count = 0;
    while (file.next(record)) {
        auto example = est::data::tf_example::parse(record.data);
        auto height = std::size_t(example["image/height"].int64s.at(0));
        auto width = std::size_t(example["image/width"].int64s.at(0));
        REQUIRE(example["image/format"].bytes.at(0) == "jpeg");
        auto photo = est::io::decode_image(example["image/encoded"].bytes.at(0));
        CHECK(photo.height == height);
        CHECK(photo.width == width);
        CHECK(photo.channels == std::size_t(example["image/channels"].int64s.at(0)));

        auto const& mask_bytes = example["image/segmentation/class/encoded"].bytes.at(0);
        REQUIRE(mask_bytes.substr(1, 3) == "PNG");
        auto mask = est::io::decode_image(mask_bytes, 1);
        CHECK(mask.height == height);
        CHECK(mask.width == width);
        CHECK(mask.channels == 1);
        ++count;
    }
    CHECK(count == 3);
}

TEST_CASE("decode_image: a format other than PNG and JPEG is named", "[io][image]") {
    CHECK_THROWS_WITH(est::io::decode_image("GIF89a"), Catch::Contains("neither PNG nor JPEG"));
}
