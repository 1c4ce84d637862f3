// Feeds io::tfrecord_reader every record of a file, plain or compressed. The first input byte
// picks how the rest is presented (modulo 6): 0 plain (compression::none), 1 detected from the
// bytes, 2 and 3 the raw bytes declared GZIP and ZLIB (corrupt streams), 4 and 5 the bytes
// compressed here as GZIP and ZLIB (record framing inside a valid stream). est::error is the
// expected failure; any other exception, a sanitizer report or a leak is a bug.
#include "fuzz_input.hpp"

#include <est/core/error.hpp>
#include <est/io/tfrecord.hpp>

#include <zlib.h>

namespace {
std::string compress(std::string_view bytes, int window_bits) {
    z_stream stream{};
    deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&stream, uLong(bytes.size())) + 32, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream.avail_in = uInt(bytes.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = uInt(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0)
        return 0;
    using est::io::compression;
    std::string_view payload = fuzz::as_view(data + 1, size - 1);
    int mode = data[0] % 6;
    compression const kinds[] = {compression::none, compression::detect, compression::gzip,
                                 compression::zlib, compression::gzip,   compression::zlib};
    std::string file = mode == 4   ? compress(payload, 15 + 16)
                       : mode == 5 ? compress(payload, 15)
                                   : std::string(payload);
    auto path = fuzz::write_file("input.tfrecord", file);
    try {
        est::io::tfrecord_reader reader(path.string(), kinds[mode]);
        est::io::tfrecord record;
        while (reader.next(record)) {
        }
    } catch (est::error const&) {
    }
    return 0;
}
