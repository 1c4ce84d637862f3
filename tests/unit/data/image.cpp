// tf.image-style transforms: resize, crops, flips, means, to_example, one_hot; and the decoders'
// est::data names (the decoders themselves are tested in tests/unit/io/).
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace {
using est::data::image;

image<float> ramp(std::size_t height, std::size_t width, std::size_t channels) {
    image<float> out{height, width, channels, std::vector<float>(height * width * channels)};
    for (std::size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = float(i);
    return out;
}
}  // namespace

TEST_CASE("image: the image type and decoders keep their tf.image names in est::data", "[data][image]") {
    STATIC_REQUIRE(std::is_same_v<est::data::image<float>, est::io::image<float>>);
    std::vector<std::uint8_t> pixels{0, 128, 255, 64};
    auto png = est::io::encode_png(pixels, 2, 2, 1);
    CHECK(est::data::decode_png(png).pixels == pixels);
    CHECK(est::data::decode_image(png).pixels == pixels);
    CHECK_THROWS_WITH(est::data::decode_jpeg(png), Catch::Contains("decode_jpeg"));
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
    // A window whose far edge wraps past the largest size is refused, not read before the image.
    std::size_t far = std::numeric_limits<std::size_t>::max();
    CHECK_THROWS_WITH(est::data::crop(in, far, 0, 1, 1), Catch::Contains("does not fit a 4x6 image"));
    CHECK_THROWS_WITH(est::data::crop(in, 0, far, 1, 2), Catch::Contains("does not fit a 4x6 image"));
    CHECK_THROWS_WITH(est::data::resize_bilinear(in, 0, 3), Catch::Contains("resize_bilinear: a 0x3 output is empty"));
    CHECK_THROWS_WITH(est::data::resize_bilinear(in, std::size_t(1) << 32, std::size_t(1) << 32),
                      Catch::Contains("more than the 268435456 pixels est decodes"));

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
    CHECK_THROWS_WITH(est::data::subtract_mean(in, std::vector<float>{1.0f}),
                      Catch::Contains("1 means for 2 channels"));

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
