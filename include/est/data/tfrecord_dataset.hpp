// tfrecord_dataset(files, compression): a dataset of the serialized records of TFRecord files,
// read in the order given (tf.data.TFRecordDataset); `.map` with an example_schema's parse turns
// them into examples. The framing, compression and CRC checks are io::tfrecord_reader's
// (io/tfrecord.hpp). Each record keeps where it came from, so that an error in a later stage (a
// parse, a decode) names the file and the record.
#pragma once

#include <est/core/config.hpp>
#include <est/data/dataset.hpp>
#include <est/io/tfrecord.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace est::data {

/// tf.data users name the compression with the dataset (`compression_type`): kept as est::data::compression.
using io::compression;

/// One serialized record and its origin. It converts to the bytes (`std::string const&`,
/// `std::string_view`), so a map function may take either.
struct serialized_record {
    std::string bytes;
    std::shared_ptr<std::string const> file;
    std::uint64_t index = 0;   ///< in its file
    std::uint64_t offset = 0;  ///< of its frame, in bytes

    operator std::string const&() const noexcept { return bytes; }
    operator std::string_view() const noexcept { return bytes; }

    /// "TFRecord file '<file>': record <index> at byte <offset>", the words of the reader's errors.
    EST_DECL std::string origin() const;
};

class tfrecord_dataset : public stages<tfrecord_dataset> {
public:
    using element_type = serialized_record;

    tfrecord_dataset(std::vector<std::string> files, compression c = compression::detect)
        : files_(std::make_shared<std::vector<std::string> const>(std::move(files))), compression_(c) {}

    class iterator {
    public:
        iterator(std::shared_ptr<std::vector<std::string> const> files, compression c)
            : files_(std::move(files)), compression_(c) {}

        EST_DECL bool next(element_type& out);

    private:
        std::shared_ptr<std::vector<std::string> const> files_;
        compression compression_;
        std::size_t file_ = 0;
        std::shared_ptr<std::string const> file_name_;
        std::optional<io::tfrecord_reader> reader_;
        io::tfrecord record_;
    };
    using iterator_type = iterator;

    iterator make_iterator() const { return iterator(files_, compression_); }

private:
    std::shared_ptr<std::vector<std::string> const> files_;
    compression compression_;
};

}  // namespace est::data

#if defined(EST_DEFINITIONS)
#include <est/data/impl/tfrecord_dataset.ipp>
#endif
