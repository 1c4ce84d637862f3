// PNG encoding and decoding: a round trip, another channel count on decode, and bad input named.
#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
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

TEST_CASE("png: dimensions its bytes cannot hold are an error before any allocation", "[io][png][image][fuzz]") {
    // tests/data/fuzz/png/huge-dimensions: a fuzz input (first byte: channels) whose 85-byte PNG
    // declares 3000x3000 pixels; deflate cannot inflate 85 bytes to that many.
    std::ifstream in(EST_TEST_DATA_DIR "/fuzz/png/huge-dimensions", std::ios::binary);
    std::string input{std::istreambuf_iterator<char>(in), {}};
    CHECK_THROWS_WITH(est::io::decode_png(input.substr(1)),
                      Catch::Contains("decode_png: corrupt PNG: it declares a 3000x3000 image, more than its 85 "
                                      "bytes can hold"));
}

TEST_CASE("png: a chunk longer than the bytes is an error before libpng allocates it", "[io][png][image][fuzz]") {
    // tests/data/fuzz/png/chunk-length-past-end: a fuzz input (first byte: channels) whose tEXt
    // chunk declares 536870935 bytes in a 73-byte PNG; libpng would allocate them first.
    std::ifstream in(EST_TEST_DATA_DIR "/fuzz/png/chunk-length-past-end", std::ios::binary);
    std::string input{std::istreambuf_iterator<char>(in), {}};
    CHECK_THROWS_WITH(est::io::decode_png(input.substr(1)),
                      Catch::Contains("decode_png: corrupt PNG: chunk 'tEXt' at byte 33 declares 536870935 bytes"));
}
