// PNG encoding and decoding: a round trip, another channel count on decode, and bad input named.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

TEST_CASE("png: round trip, and corrupt input named", "[io][png][image]") {
    std::vector<std::uint8_t> pixels(5 * 7 * 3);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 7);
    auto png = est::io::encode_png(pixels, 5, 7, 3);
    auto decoded = est::io::decode_png(png);
    CHECK(decoded.height == 5);
    CHECK(decoded.width == 7);
    CHECK(decoded.channels == 3);
    CHECK(decoded.pixels == pixels);
    CHECK(est::io::decode_png(png, 4).channels == 4);

    CHECK_THROWS_WITH(est::io::decode_png(png.substr(0, png.size() / 2)), Catch::Contains("decode_png"));
    CHECK_THROWS_WITH(est::io::encode_png(pixels, 5, 7, 2), Catch::Contains("PNG takes 1, 3 or 4"));
    CHECK_THROWS_WITH(est::io::encode_png(pixels, 5, 6, 3), Catch::Contains("105 samples for a 5x6x3 image"));
}
