// TFRecord files: each record is framed as uint64 length, masked CRC-32C of the length, the data
// and the masked CRC-32C of the data (all little-endian). Files may be plain, GZIP or ZLIB streams,
// as tf.io.TFRecordWriter writes them. Every CRC is checked; a corrupt or truncated record is an
// error that names the file and the byte offset (in the uncompressed stream) of the record.
#pragma once

#include <est/core/error.hpp>
#include <est/io/crc32c.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace est::io {

/// How a TFRecord file is compressed; `detect` reads the first bytes.
enum class compression { detect, none, gzip, zlib };

inline std::string_view compression_name(compression c) {
    switch (c) {
        case compression::none:
            return "none";
        case compression::gzip:
            return "gzip";
        case compression::zlib:
            return "zlib";
        case compression::detect:
            return "detect";
    }
    return "?";
}

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
    byte_source(std::string const& path, compression c) : path_(path), file_(std::fopen(path.c_str(), "rb")) {
        if (!file_)
            throw error("TFRecord file '" + path + "' cannot be opened (missing or unreadable)");
        if (c == compression::detect)
            c = detect();
        compression_ = c;
        if (c != compression::none) {
            stream_ = std::make_unique<z_stream>();
            std::memset(stream_.get(), 0, sizeof(z_stream));
            int window = c == compression::gzip ? 15 + 16 : 15;
            if (inflateInit2(stream_.get(), window) != Z_OK)
                throw error("TFRecord file '" + path + "': cannot start zlib");
        }
    }
    ~byte_source() {
        if (stream_)
            inflateEnd(stream_.get());
    }
    byte_source(byte_source const&) = delete;
    byte_source& operator=(byte_source const&) = delete;

    compression kind() const { return compression_; }

    /// Reads up to `size` bytes; fewer only at the end of the stream.
    std::size_t read(void* out, std::size_t size) {
        if (compression_ == compression::none)
            return std::fread(out, 1, size, file_.get());
        stream_->next_out = static_cast<Bytef*>(out);
        stream_->avail_out = static_cast<uInt>(size);
        while (stream_->avail_out > 0 && !finished_) {
            if (stream_->avail_in == 0) {
                std::size_t got = std::fread(input_.data(), 1, input_.size(), file_.get());
                if (got == 0) {
                    if (!started_)  // an empty file holds no stream at all
                        break;
                    throw error("TFRecord file '" + path_ + "': the " + std::string(compression_name(compression_)) +
                                " stream ends early (truncated file)");
                }
                stream_->next_in = input_.data();
                stream_->avail_in = static_cast<uInt>(got);
            }
            started_ = true;
            int status = inflate(stream_.get(), Z_NO_FLUSH);
            if (status == Z_STREAM_END) {
                if (compression_ == compression::gzip && stream_->avail_in > 0) {  // concatenated gzip members
                    inflateReset(stream_.get());
                    continue;
                }
                finished_ = true;
            } else if (status != Z_OK && status != Z_BUF_ERROR) {
                throw error("TFRecord file '" + path_ + "' is not a valid " +
                            std::string(compression_name(compression_)) + " stream (" +
                            (stream_->msg ? stream_->msg : "zlib error " + std::to_string(status)) + ")");
            }
        }
        return size - stream_->avail_out;
    }

private:
    compression detect() {
        std::array<unsigned char, 2> head{};
        std::size_t got = std::fread(head.data(), 1, 2, file_.get());
        std::rewind(file_.get());
        if (got == 2 && head[0] == 0x1f && head[1] == 0x8b)
            return compression::gzip;
        if (got == 2 && (head[0] & 0x0f) == 8 && (head[0] * 256 + head[1]) % 31 == 0)
            return compression::zlib;
        return compression::none;
    }

    std::string path_;
    std::unique_ptr<std::FILE, file_closer> file_;
    compression compression_ = compression::none;
    std::unique_ptr<z_stream> stream_;
    std::array<unsigned char, 1 << 16> input_{};
    bool started_ = false;
    bool finished_ = false;
};

inline std::uint64_t load_u64(unsigned char const* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
inline std::uint32_t load_u32(unsigned char const* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}
inline void store_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void store_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
}  // namespace detail

/// Reads the records of one TFRecord file in order.
class tfrecord_reader {
public:
    explicit tfrecord_reader(std::string path, compression c = compression::detect)
        : path_(std::move(path)), source_(std::make_unique<detail::byte_source>(path_, c)) {}

    std::string const& path() const { return path_; }
    compression kind() const { return source_->kind(); }

    /// Reads the next record into `out`; false at the end of the file. A record whose data does
    /// not match its CRC is an error, after which reading goes on with the next record; a corrupt
    /// or truncated frame, or a corrupt compressed stream, is an error that ends the file (the next
    /// frame cannot be found).
    bool next(tfrecord& out) {
        if (framing_lost_)
            return false;
        bool intact = false;
        try {
            if (!next_frame(out, intact))
                return false;
        } catch (...) {
            framing_lost_ = true;
            throw;
        }
        if (!intact)
            throw error(describe(out.index, out.offset, "has corrupt data (CRC mismatch)"));
        return true;
    }

private:
    /// Reads one frame into `out` (and says whether its data matches its CRC); false at the end.
    bool next_frame(tfrecord& out, bool& intact) {
        std::array<unsigned char, 12> header{};
        std::size_t got = source_->read(header.data(), header.size());
        if (got == 0)
            return false;
        if (got < header.size())
            fail("is truncated: the record header needs 12 bytes, " + std::to_string(got) + " remain");
        std::uint64_t length = detail::load_u64(header.data());
        if (masked_crc32c(header.data(), 8) != detail::load_u32(header.data() + 8))
            fail("has a corrupt length (CRC mismatch)");
        // Read in pieces of at most 1 MiB, so that a corrupt length cannot make the reader allocate
        // more than the file holds.
        out.data.clear();
        for (std::uint64_t left = length; left > 0;) {
            std::size_t piece = std::size_t(std::min<std::uint64_t>(left, std::uint64_t(1) << 20));
            std::size_t at = out.data.size();
            out.data.resize(at + piece);
            if (source_->read(out.data.data() + at, piece) < piece)
                fail("is truncated: the record declares " + std::to_string(length) + " bytes");
            left -= piece;
        }
        std::array<unsigned char, 4> footer{};
        if (source_->read(footer.data(), 4) < 4)
            fail("is truncated: the record's data CRC is missing");
        intact = masked_crc32c(out.data.data(), length) == detail::load_u32(footer.data());
        out.index = index_++;
        out.offset = offset_;
        offset_ += 16 + length;
        return true;
    }

    std::string describe(std::uint64_t index, std::uint64_t offset, std::string const& what) const {
        return "TFRecord file '" + path_ + "': record " + std::to_string(index) + " at byte " + std::to_string(offset) +
               " " + what;
    }
    [[noreturn]] void fail(std::string const& what) const { throw error(describe(index_, offset_, what)); }

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
    explicit tfrecord_writer(std::string path, compression c = compression::none)
        : path_(std::move(path)),
          compression_(c == compression::detect ? compression::none : c),
          file_(std::fopen(path_.c_str(), "wb")) {
        if (!file_)
            throw error("TFRecord file '" + path_ + "' cannot be created");
        if (compression_ != compression::none) {
            stream_ = std::make_unique<z_stream>();
            std::memset(stream_.get(), 0, sizeof(z_stream));
            int window = compression_ == compression::gzip ? 15 + 16 : 15;
            if (deflateInit2(stream_.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, window, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                throw error("TFRecord file '" + path_ + "': cannot start zlib");
        }
    }
    ~tfrecord_writer() {
        try {
            close();
        } catch (...) {  // a destructor must not throw; call close() to see the error
        }
        if (stream_)
            deflateEnd(stream_.get());
    }
    tfrecord_writer(tfrecord_writer const&) = delete;
    tfrecord_writer& operator=(tfrecord_writer const&) = delete;

    void write(std::string_view record) {
        if (!file_)
            throw error("TFRecord file '" + path_ + "': write after close");
        frame_.clear();
        detail::store_u64(frame_, record.size());
        detail::store_u32(frame_, masked_crc32c(frame_.data(), 8));
        put(frame_, false);
        put(record, false);
        frame_.clear();
        detail::store_u32(frame_, masked_crc32c(record.data(), record.size()));
        put(frame_, false);
    }

    /// Hands what was written so far to the operating system (a reader sees whole records; for
    /// compressed streams, what has been compressed so far).
    void flush() {
        if (!file_)
            return;
        if (stream_) {
            stream_->next_in = nullptr;
            stream_->avail_in = 0;
            int status;
            do {
                stream_->next_out = output_.data();
                stream_->avail_out = static_cast<uInt>(output_.size());
                status = deflate(stream_.get(), Z_SYNC_FLUSH);
                std::size_t produced = output_.size() - stream_->avail_out;
                if (std::fwrite(output_.data(), 1, produced, file_.get()) != produced)
                    throw error("TFRecord file '" + path_ + "': write failed");
            } while (stream_->avail_out == 0 && status == Z_OK);
        }
        if (std::fflush(file_.get()) != 0)
            throw error("TFRecord file '" + path_ + "': write failed");
    }

    /// Finishes the stream and closes the file.
    void close() {
        if (!file_)
            return;
        if (stream_)
            put({}, true);
        std::FILE* f = file_.release();
        if (std::fclose(f) != 0)
            throw error("TFRecord file '" + path_ + "': writing failed on close");
    }

private:
    void put(std::string_view bytes, bool finish) {
        if (!stream_) {
            if (std::fwrite(bytes.data(), 1, bytes.size(), file_.get()) != bytes.size())
                throw error("TFRecord file '" + path_ + "': write failed");
            return;
        }
        stream_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
        stream_->avail_in = static_cast<uInt>(bytes.size());
        int status;
        do {
            stream_->next_out = output_.data();
            stream_->avail_out = static_cast<uInt>(output_.size());
            status = deflate(stream_.get(), finish ? Z_FINISH : Z_NO_FLUSH);
            if (status == Z_STREAM_ERROR)
                throw error("TFRecord file '" + path_ + "': compression failed");
            std::size_t produced = output_.size() - stream_->avail_out;
            if (std::fwrite(output_.data(), 1, produced, file_.get()) != produced)
                throw error("TFRecord file '" + path_ + "': write failed");
        } while (stream_->avail_out == 0 || (finish && status != Z_STREAM_END));
    }

    std::string path_;
    compression compression_;
    std::unique_ptr<std::FILE, detail::file_closer> file_;
    std::unique_ptr<z_stream> stream_;
    std::array<unsigned char, 1 << 16> output_{};
    std::string frame_;
};

}  // namespace est::io
