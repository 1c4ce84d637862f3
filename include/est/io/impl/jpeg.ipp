// Definitions of est/io/jpeg.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/jpeg.hpp>

#include <cstdio>  // jpeglib.h uses FILE and size_t without declaring them

#include <jpeglib.h>
#include <jerror.h>

#include <csetjmp>
#include <string>

namespace est::io {

namespace detail {
struct jpeg_failure {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};
}  // namespace detail

EST_DECL image<std::uint8_t> decode_jpeg(std::string_view bytes, std::size_t channels) {
    if (channels != 0 && channels != 1 && channels != 3)
        throw error("decode_jpeg: channels must be 0 (as stored), 1 or 3, not " + std::to_string(channels));
    jpeg_decompress_struct info{};
    detail::jpeg_failure failure{};
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = [](j_common_ptr common) {
        auto* f = reinterpret_cast<detail::jpeg_failure*>(common->err);
        common->err->format_message(common, f->message);
        std::longjmp(f->jump, 1);
    };
    failure.manager.emit_message = [](j_common_ptr common, int level) {
        // libjpeg would decode missing data as gray: a truncated file is corrupt.
        if (level < 0 && (common->err->msg_code == JWRN_JPEG_EOF || common->err->msg_code == JWRN_HIT_MARKER))
            common->err->error_exit(common);
    };
    image<std::uint8_t> out;
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&info);
        throw error(std::string("decode_jpeg: corrupt JPEG: ") + failure.message);
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, reinterpret_cast<unsigned char const*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
    jpeg_read_header(&info, TRUE);
    if (std::uint64_t(info.image_width) * info.image_height > max_image_pixels) {
        std::string size = std::to_string(info.image_width) + "x" + std::to_string(info.image_height);
        jpeg_destroy_decompress(&info);
        throw error("decode_jpeg: corrupt JPEG: it declares a " + size + " image, more than the " +
                    std::to_string(max_image_pixels) + " pixels est decodes");
    }
    if (channels == 1)
        info.out_color_space = JCS_GRAYSCALE;
    else if (channels == 3 || info.num_components == 3)
        info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    out.height = info.output_height;
    out.width = info.output_width;
    out.channels = std::size_t(info.output_components);
    std::size_t row_size = out.width * out.channels;
    while (info.output_scanline < info.output_height) {  // grown row by row: truncated data stops early
        out.pixels.resize((std::size_t(info.output_scanline) + 1) * row_size);
        JSAMPROW row = out.pixels.data() + std::size_t(info.output_scanline) * row_size;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return out;
}

}  // namespace est::io
