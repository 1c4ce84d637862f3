// TFRecord files: each record is framed as uint64 length, masked CRC-32C of the length, the data
// and the masked CRC-32C of the data (all little-endian). Files may be plain, GZIP or ZLIB streams,
// as tf.io.TFRecordWriter writes them. Every CRC is checked; a corrupt or truncated record is an
// error that names the file and the byte offset (in the uncompressed stream) of the record.
#pragma once

#include <est/core/config.hpp>
#include <est/io/crc32c.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;  // zlib's z_stream (<zlib.h>, which the definitions include)

namespace est::io {

/// How a TFRecord file is compressed; `detect` reads the first bytes.
enum class compression { detect, none, gzip, zlib };

EST_DECL std::string_view compression_name(compression c);

/// One record as read: its bytes, its index in the file and the offset of its frame.
struct tfrecord {
    std::string data;
    std::uint64_t index = 0;
    std::uint64_t offset = 0;
};

namespace detail {
struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

/// Bytes of a file, inflated when compressed (zlib handles both GZIP and ZLIB wrappers).
class byte_source {
public:
    byte_source(std::string const& path, compression c);
    ~byte_source();
    byte_source(byte_source const&) = delete;
    byte_source& operator=(byte_source const&) = delete;

    compression kind() const { return compression_; }

    /// Reads up to `size` bytes; fewer only at the end of the stream.
    std::size_t read(void* out, std::size_t size);

private:
    compression detect();

    std::string path_;
    std::unique_ptr<std::FILE, file_closer> file_;
    compression compression_ = compression::none;
    std::unique_ptr<z_stream_s> stream_;
    std::array<unsigned char, 1 << 16> input_{};
    bool started_ = false;
    bool finished_ = false;
};

EST_DECL std::uint64_t load_u64(unsigned char const* p);
EST_DECL std::uint32_t load_u32(unsigned char const* p);
EST_DECL void store_u64(std::string& out, std::uint64_t v);
EST_DECL void store_u32(std::string& out, std::uint32_t v);
}  // namespace detail

/// Reads the records of one TFRecord file in order.
class tfrecord_reader {
public:
    explicit tfrecord_reader(std::string path, compression c = compression::detect);

    std::string const& path() const { return path_; }
    compression kind() const { return source_->kind(); }

    /// Reads the next record into `out`; false at the end of the file. A record whose data does
    /// not match its CRC is an error, after which reading goes on with the next record; a corrupt
    /// or truncated frame, or a corrupt compressed stream, is an error that ends the file (the next
    /// frame cannot be found).
    bool next(tfrecord& out);

private:
    /// Reads one frame into `out` (and says whether its data matches its CRC); false at the end.
    bool next_frame(tfrecord& out, bool& intact);

    std::string describe(std::uint64_t index, std::uint64_t offset, std::string const& what) const;
    [[noreturn]] void fail(std::string const& what) const;

    std::string path_;
    std::unique_ptr<detail::byte_source> source_;
    std::uint64_t index_ = 0;
    std::uint64_t offset_ = 0;
    bool framing_lost_ = false;
};

/// Writes records to a TFRecord file, plain or as a GZIP or ZLIB stream. The file is complete
/// after close() (or destruction); an I/O error is reported naming the file.
class tfrecord_writer {
public:
    explicit tfrecord_writer(std::string path, compression c = compression::none);
    ~tfrecord_writer();
    tfrecord_writer(tfrecord_writer const&) = delete;
    tfrecord_writer& operator=(tfrecord_writer const&) = delete;

    void write(std::string_view record);

    /// Hands what was written so far to the operating system (a reader sees whole records; for
    /// compressed streams, what has been compressed so far).
    void flush();

    /// Finishes the stream and closes the file.
    void close();

private:
    void put(std::string_view bytes, bool finish);

    std::string path_;
    compression compression_;
    std::unique_ptr<std::FILE, detail::file_closer> file_;
    std::unique_ptr<z_stream_s> stream_;
    std::array<unsigned char, 1 << 16> output_{};
    std::string frame_;
};

}  // namespace est::io

#if defined(EST_DEFINITIONS)
#include <est/io/impl/tfrecord.ipp>
#endif
