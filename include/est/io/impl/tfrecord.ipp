// Definitions of est/io/tfrecord.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/io/tfrecord.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace est::io {

EST_DECL std::string_view compression_name(compression c) {
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

namespace detail {
EST_DECL byte_source::byte_source(std::string const& path, compression c)
    : path_(path), file_(std::fopen(path.c_str(), "rb")) {
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

EST_DECL byte_source::~byte_source() {
    if (stream_)
        inflateEnd(stream_.get());
}

EST_DECL std::size_t byte_source::read(void* out, std::size_t size) {
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
            throw error("TFRecord file '" + path_ + "' is not a valid " + std::string(compression_name(compression_)) +
                        " stream (" + (stream_->msg ? stream_->msg : "zlib error " + std::to_string(status)) + ")");
        }
    }
    return size - stream_->avail_out;
}

EST_DECL compression byte_source::detect() {
    std::array<unsigned char, 2> head{};
    std::size_t got = std::fread(head.data(), 1, 2, file_.get());
    std::rewind(file_.get());
    if (got == 2 && head[0] == 0x1f && head[1] == 0x8b)
        return compression::gzip;
    if (got == 2 && (head[0] & 0x0f) == 8 && (head[0] * 256 + head[1]) % 31 == 0)
        return compression::zlib;
    return compression::none;
}

EST_DECL std::uint64_t load_u64(unsigned char const* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
EST_DECL std::uint32_t load_u32(unsigned char const* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}
EST_DECL void store_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
EST_DECL void store_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
}  // namespace detail

EST_DECL tfrecord_reader::tfrecord_reader(std::string path, compression c)
    : path_(std::move(path)), source_(std::make_unique<detail::byte_source>(path_, c)) {}

EST_DECL bool tfrecord_reader::next(tfrecord& out) {
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

EST_DECL bool tfrecord_reader::next_frame(tfrecord& out, bool& intact) {
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

EST_DECL std::string tfrecord_reader::describe(std::uint64_t index, std::uint64_t offset,
                                               std::string const& what) const {
    return "TFRecord file '" + path_ + "': record " + std::to_string(index) + " at byte " + std::to_string(offset) +
           " " + what;
}

EST_DECL void tfrecord_reader::fail(std::string const& what) const { throw error(describe(index_, offset_, what)); }

EST_DECL tfrecord_writer::tfrecord_writer(std::string path, compression c)
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

EST_DECL tfrecord_writer::~tfrecord_writer() {
    try {
        close();
    } catch (...) {  // a destructor must not throw; call close() to see the error
    }
    if (stream_)
        deflateEnd(stream_.get());
}

EST_DECL void tfrecord_writer::write(std::string_view record) {
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

EST_DECL void tfrecord_writer::flush() {
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

EST_DECL void tfrecord_writer::close() {
    if (!file_)
        return;
    if (stream_)
        put({}, true);
    std::FILE* f = file_.release();
    if (std::fclose(f) != 0)
        throw error("TFRecord file '" + path_ + "': writing failed on close");
}

EST_DECL void tfrecord_writer::put(std::string_view bytes, bool finish) {
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

}  // namespace est::io
