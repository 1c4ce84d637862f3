// PNG encoding and decoding: a round trip, another channel count on decode, bad input named, and
// est's decoder of the common case against libpng's.
#include <est/est.hpp>

#if defined(EST_COUNTING_ALLOCATOR)
#include "support/heap_allocations.hpp"
#endif

#include <catch2/catch.hpp>
#include <png.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
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
    CHECK_THROWS_WITH(est::io::decode_png(png, 5),
                      Catch::Contains("decode_png: channels must be 0 (as stored), 1, 2, 3 or 4, not 5"));

    CHECK_THROWS_WITH(est::io::decode_png(png.substr(0, png.size() / 2)), Catch::Contains("decode_png"));
    CHECK_THROWS_WITH(est::io::encode_png(pixels, 5, 7, 2), Catch::Contains("PNG takes 1, 3 or 4"));
    CHECK_THROWS_WITH(est::io::encode_png(pixels, 5, 6, 3), Catch::Contains("105 samples for a 5x6x3 image"));
}

TEST_CASE("png: est's encoder writes PNGs that libpng reads, and reuses its buffers", "[io][png][image]") {
    est::io::png_encoder encoder;
    for (std::size_t channels : {1, 3, 4}) {
        std::vector<std::uint8_t> pixels(9 * 13 * channels);
        for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 37 + i / 11);
        auto decoded = est::io::detail::decode_png_with_libpng(encoder.encode(pixels, 9, 13, channels), 0);
        CHECK(decoded.height == 9);
        CHECK(decoded.width == 13);
        CHECK(decoded.channels == channels);
        CHECK(decoded.pixels == pixels);
    }
    CHECK_THROWS_WITH(encoder.encode({}, 0, 3, 1), Catch::Contains("a 0x3 image"));
#if defined(EST_COUNTING_ALLOCATOR)
    std::vector<std::uint8_t> pixels(28 * 28, 200);
    (void)encoder.encode(pixels, 28, 28, 1);
    auto before = test::heap_allocations();
    auto png = encoder.encode(pixels, 28, 28, 1);
    CHECK((test::heap_allocations() - before).total == 0);
    CHECK(est::io::decode_png(png).pixels == pixels);
#endif
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

namespace {
/// A PNG written by libpng with every row filtered by `filter` (PNG_FILTER_NONE ... PNG_FILTER_PAETH,
/// or PNG_ALL_FILTERS), image data split into IDAT chunks of `idat_bytes`, and, if asked, a gAMA
/// chunk and a tEXt chunk.
std::string encode_with(std::vector<std::uint8_t> const& pixels, std::uint32_t height, std::uint32_t width, int color,
                        int filter, std::size_t idat_bytes, bool gamma, bool text) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    std::string out;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        throw std::runtime_error("libpng failed to write a test image");
    }
    png_set_write_fn(
        png, &out,
        [](png_structp p, png_bytep data, png_size_t size) {
            static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char const*>(data), size);
        },
        nullptr);
    png_set_IHDR(png, info, width, height, 8, color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, 0, filter);
    png_set_compression_buffer_size(png, idat_bytes);
    if (gamma)
        png_set_gAMA(png, info, 1.0);
    png_text note{};
    if (text) {
        note.compression = PNG_TEXT_COMPRESSION_NONE;
        note.key = const_cast<char*>("Comment");
        note.text = const_cast<char*>("written by est's tests");
        png_set_text(png, info, &note, 1);
    }
    png_write_info(png, info);
    std::size_t row_bytes = pixels.size() / height;
    for (std::uint32_t row = 0; row < height; ++row)
        png_write_row(png, const_cast<png_bytep>(pixels.data() + row * row_bytes));
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return out;
}

/// decode_png's own decoder either declines `bytes` or decodes them exactly as libpng does.
void check_agrees_with_libpng(std::string const& bytes, std::size_t channels) {
    auto simple = est::io::detail::decode_simple_png(bytes, channels);
    if (!simple)
        return;
    auto reference = est::io::detail::decode_png_with_libpng(bytes, channels);
    CHECK(simple->height == reference.height);
    CHECK(simple->width == reference.width);
    CHECK(simple->channels == reference.channels);
    CHECK(simple->pixels == reference.pixels);
}
}  // namespace

TEST_CASE("png: est's decoder of the common case decodes every filter and color type as libpng does",
          "[io][png][image]") {
    est::random_engine engine(3);
    struct color_type {
        int color;
        std::size_t channels;
    };
    for (auto [color, channels] : {color_type{PNG_COLOR_TYPE_GRAY, 1}, color_type{PNG_COLOR_TYPE_GRAY_ALPHA, 2},
                                   color_type{PNG_COLOR_TYPE_RGB, 3}, color_type{PNG_COLOR_TYPE_RGB_ALPHA, 4}})
        for (int filter : {PNG_FILTER_NONE, PNG_FILTER_SUB, PNG_FILTER_UP, PNG_FILTER_AVG, PNG_FILTER_PAETH,
                           PNG_ALL_FILTERS}) {
            std::uint32_t height = 9, width = 13;
            std::vector<std::uint8_t> pixels(height * width * channels);
            for (std::size_t i = 0; i < pixels.size(); ++i)  // smooth, with noise: every filter has work
                pixels[i] = std::uint8_t(i / 3 + engine.uniform(0.0f, 40.0f));
            INFO("color type " << color << ", filter " << filter);
            auto png = encode_with(pixels, height, width, color, filter, 8192, false, false);
            auto simple = est::io::detail::decode_simple_png(png, 0);
            REQUIRE(simple);
            CHECK(simple->pixels == pixels);
            CHECK(simple->channels == channels);
            check_agrees_with_libpng(png, 0);
            // Image data in IDAT chunks of 7 bytes, and a text chunk: still est's decoder.
            auto split = encode_with(pixels, height, width, color, filter, 7, false, true);
            REQUIRE(est::io::detail::decode_simple_png(split, channels));
            CHECK(est::io::decode_png(split, channels).pixels == pixels);
            // Another channel count, or a gamma chunk: libpng's conversions.
            CHECK_FALSE(est::io::detail::decode_simple_png(png, channels == 4 ? 3 : 4));
            auto with_gamma = encode_with(pixels, height, width, color, filter, 8192, true, false);
            CHECK_FALSE(est::io::detail::decode_simple_png(with_gamma, 0));
            CHECK(est::io::decode_png(with_gamma).pixels == est::io::detail::decode_png_with_libpng(with_gamma, 0).pixels);
        }
}

TEST_CASE("png: on every flipped bit and every truncation est's decoder declines or agrees with libpng",
          "[io][png][image][fuzz]") {
    std::vector<std::uint8_t> pixels(6 * 5 * 3);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 11);
    auto png = encode_with(pixels, 6, 5, PNG_COLOR_TYPE_RGB, PNG_ALL_FILTERS, 16, false, true);
    for (std::size_t at = 0; at < png.size(); ++at) {
        for (int bit = 0; bit < 8; ++bit) {
            auto corrupt = png;
            corrupt[at] = char(corrupt[at] ^ (1 << bit));
            INFO("byte " << at << ", bit " << bit);
            check_agrees_with_libpng(corrupt, 0);
            CHECK_NOTHROW([&] {
                try {
                    est::io::decode_png(corrupt);
                } catch (est::error const&) {
                }
            }());
        }
        INFO("the first " << at << " bytes");
        CHECK_FALSE(est::io::detail::decode_simple_png(png.substr(0, at), 0));
    }
}

TEST_CASE("png: bytes after IEND are ignored, as libpng ignores them", "[io][png][image][fuzz]") {
    // tests/data/fuzz/png/bytes-after-iend: a fuzz input (first byte: channels) whose 8x2 RGBA PNG is
    // followed by 52 bytes whose first "chunk" declares 134610944 bytes; est refused it, libpng not.
    std::ifstream in(EST_TEST_DATA_DIR "/fuzz/png/bytes-after-iend", std::ios::binary);
    std::string input{std::istreambuf_iterator<char>(in), {}};
    auto png = input.substr(1);
    auto image = est::io::decode_png(png);
    CHECK(image.height == 8);
    CHECK(image.width == 2);
    CHECK(image.pixels == est::io::detail::decode_png_with_libpng(png, 0).pixels);
}
