// Image decoding and transforms: JPEG and PNG files written by TensorFlow's tools (the DeepLab
// PASCAL VOC TFRecord fixture), PNG round trips, corrupt input, resize, crops, flips, means,
// one_hot.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {
using est::data::image;

image<float> ramp(std::size_t height, std::size_t width, std::size_t channels) {
    image<float> out{height, width, channels, std::vector<float>(height * width * channels)};
    for (std::size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = float(i);
    return out;
}
}  // namespace

TEST_CASE("image: decodes the JPEG images and PNG masks of a TensorFlow-written TFRecord", "[data][image]") {
    est::data::tfrecord_reader file(EST_TEST_DATA_DIR "/tfrecord/models_deeplab_pascal_voc_seg_val-00000-of-00001.tfrecord");
    est::data::tfrecord record;
    std::size_t count = 0;
    while (file.next(record)) {
        auto example = est::data::tf_example::parse(record.data);
        auto height = std::size_t(example["image/height"].int64s.at(0));
        auto width = std::size_t(example["image/width"].int64s.at(0));
        REQUIRE(example["image/format"].bytes.at(0) == "jpeg");
        auto photo = est::data::decode_image(example["image/encoded"].bytes.at(0));
        CHECK(photo.height == height);
        CHECK(photo.width == width);
        CHECK(photo.channels == std::size_t(example["image/channels"].int64s.at(0)));
        auto gray = est::data::decode_jpeg(example["image/encoded"].bytes.at(0), 1);
        CHECK(gray.channels == 1);
        CHECK(gray.pixels.size() == height * width);

        auto mask = est::data::decode_image(example["image/segmentation/class/encoded"].bytes.at(0), 1);
        CHECK(mask.height == height);
        CHECK(mask.width == width);
        ++count;
    }
    CHECK(count == 3);
}

TEST_CASE("image: PNG round trip, and corrupt input named", "[data][image]") {
    std::vector<std::uint8_t> pixels(5 * 7 * 3);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 7);
    auto png = est::io::encode_png(pixels, 5, 7, 3);
    auto decoded = est::data::decode_png(png);
    CHECK(decoded.height == 5);
    CHECK(decoded.width == 7);
    CHECK(decoded.channels == 3);
    CHECK(decoded.pixels == pixels);
    CHECK(est::data::decode_png(png, 4).channels == 4);

    CHECK_THROWS_WITH(est::data::decode_png(png.substr(0, png.size() / 2)), Catch::Contains("decode_png"));
    std::string not_jpeg = "\xff\xd8\xff garbage";
    CHECK_THROWS_WITH(est::data::decode_jpeg(not_jpeg), Catch::Contains("decode_jpeg: corrupt JPEG"));
    CHECK_THROWS_WITH(est::data::decode_image("GIF89a"), Catch::Contains("neither PNG nor JPEG"));
}

TEST_CASE("image: resize, crops, flips, means, to_example, one_hot", "[data][image]") {
    auto in = ramp(4, 6, 2);
    // Bilinear with half-pixel centers: same size is the identity; halving averages 2x2 blocks.
    CHECK(est::data::resize_bilinear(in, 4, 6).pixels == in.pixels);
    auto half = est::data::resize_bilinear(in, 2, 3);
    CHECK(half.at(0, 0, 0) == Approx((in.at(0, 0, 0) + in.at(0, 1, 0) + in.at(1, 0, 0) + in.at(1, 1, 0)) / 4));
    CHECK(half.at(1, 2, 1) == Approx((in.at(2, 4, 1) + in.at(2, 5, 1) + in.at(3, 4, 1) + in.at(3, 5, 1)) / 4));

    auto center = est::data::central_crop(in, 0.5f);
    CHECK(center.height == 2);
    CHECK(center.width == 3);
    CHECK(center.at(0, 0, 0) == in.at(1, 1, 0));

    auto window = est::data::random_crop(in, 2, 2, 11);
    CHECK(window.height == 2);
    CHECK(window.pixels == est::data::random_crop(in, 2, 2, 11).pixels);  // the seed decides
    bool moved = false;
    for (std::uint64_t seed = 0; seed < 20; ++seed)
        moved |= est::data::random_crop(in, 2, 2, seed).pixels != window.pixels;
    CHECK(moved);
    CHECK_THROWS_WITH(est::data::random_crop(in, 5, 2, 1), Catch::Contains("does not fit a 4x6 image"));

    int flips = 0;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        auto f = est::data::random_flip_left_right(in, seed);
        if (f.pixels != in.pixels) {
            ++flips;
            CHECK(f.at(2, 0, 1) == in.at(2, 5, 1));
        }
    }
    CHECK(flips > 5);
    CHECK(flips < 35);

    std::vector<float> means = {1.0f, 2.0f};
    auto centered = est::data::subtract_mean(in, means);
    CHECK(centered.at(3, 5, 1) == in.at(3, 5, 1) - 2.0f);
    CHECK_THROWS_WITH(est::data::subtract_mean(in, std::vector<float>{1.0f}), Catch::Contains("1 means for 2 channels"));

    auto tensor = est::data::to_example<est::shape<4, 6, 2>>(in);
    CHECK(tensor(3, 5, 1) == in.at(3, 5, 1));
    using too_small = est::shape<4, 4, 2>;
    CHECK_THROWS_WITH(est::data::to_example<too_small>(in), Catch::Contains("4x6x2 image does not fit"));

    auto hot = est::data::one_hot<5>(3);
    CHECK(hot(3) == 1.0f);
    CHECK(hot(0) == 0.0f);
    CHECK_THROWS_WITH(est::data::one_hot<5>(5), Catch::Contains("label 5 is outside [0, 5)"));

    auto bytes = est::data::to_float(est::data::image<std::uint8_t>{1, 2, 1, {0, 255}});
    CHECK(bytes.pixels == std::vector<float>{0.0f, 1.0f});
}
