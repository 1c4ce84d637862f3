// JPEG decoding with libjpeg-turbo, from memory (the JPEG images of TFRecord datasets). libjpeg's
// errors, which would end the process, become est::error with libjpeg's message.
#pragma once

#include <est/core/error.hpp>
#include <est/io/image.hpp>

#include <cstddef>
#include <cstdio>  // jpeglib.h uses FILE and size_t without declaring them

#include <jpeglib.h>

#include <csetjmp>
#include <cstdint>
#include <string>
#include <string_view>

namespace est::io {

namespace detail {
struct jpeg_failure {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};
}  // namespace detail

/// Decodes a JPEG to 8-bit samples with `channels` channels (0: as stored, 1 gray, 3 RGB).
inline image<std::uint8_t> decode_jpeg(std::string_view bytes, std::size_t channels = 0) {
    jpeg_decompress_struct info{};
    detail::jpeg_failure failure{};
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = [](j_common_ptr common) {
        auto* f = reinterpret_cast<detail::jpeg_failure*>(common->err);
        common->err->format_message(common, f->message);
        std::longjmp(f->jump, 1);
    };
    image<std::uint8_t> out;
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&info);
        throw error(std::string("decode_jpeg: corrupt JPEG: ") + failure.message);
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, reinterpret_cast<unsigned char const*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    if (channels == 1)
        info.out_color_space = JCS_GRAYSCALE;
    else if (channels == 3 || info.num_components == 3)
        info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    out.height = info.output_height;
    out.width = info.output_width;
    out.channels = std::size_t(info.output_components);
    out.pixels.resize(out.height * out.width * out.channels);
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = out.pixels.data() + std::size_t(info.output_scanline) * out.width * out.channels;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return out;
}

}  // namespace est::io
