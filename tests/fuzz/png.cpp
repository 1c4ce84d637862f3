// Feeds the input to io::decode_png, asking for the channel count of the first byte (modulo 5:
// 0 as stored, 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) and decoding the rest. A decoded image must
// hold height x width x channels samples, and where est's decoder of the common case decodes it,
// libpng must decode it to the same image. est::error is the expected failure; any other exception,
// an allocation beyond -malloc_limit_mb or a sanitizer report is a bug.
#include "fuzz_input.hpp"

#include <est/core/error.hpp>
#include <est/io/png.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0)
        return 0;
    std::size_t channels = data[0] % 5;
    try {
        auto image = est::io::decode_png(fuzz::as_view(data + 1, size - 1), channels);
        if (image.pixels.size() != image.height * image.width * image.channels ||
            (channels && image.channels != channels))
            std::abort();
    } catch (est::error const&) {
    }
    if (auto simple = est::io::detail::decode_simple_png(fuzz::as_view(data + 1, size - 1), channels)) {
        try {
            auto reference = est::io::detail::decode_png_with_libpng(fuzz::as_view(data + 1, size - 1), channels);
            if (simple->height != reference.height || simple->width != reference.width ||
                simple->channels != reference.channels || simple->pixels != reference.pixels)
                std::abort();
        } catch (est::error const&) {
            std::abort();  // est decoded what libpng refuses
        }
    }
    return 0;
}
