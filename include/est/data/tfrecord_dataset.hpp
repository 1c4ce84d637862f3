// tfrecord_dataset(files, compression): a dataset of the serialized records of TFRecord files,
// read in the order given (tf.data.TFRecordDataset); `.map` with parse_example turns them into
// examples. The framing, compression and CRC checks are io::tfrecord_reader's (io/tfrecord.hpp).
#pragma once

#include <est/data/dataset.hpp>
#include <est/io/tfrecord.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace est::data {

/// tf.data users name the compression with the dataset (`compression_type`): kept as est::data::compression.
using io::compression;

class tfrecord_dataset : public stages<tfrecord_dataset> {
public:
    using element_type = std::string;  ///< one serialized record

    tfrecord_dataset(std::vector<std::string> files, compression c = compression::detect)
        : files_(std::make_shared<std::vector<std::string> const>(std::move(files))), compression_(c) {}

    class iterator {
    public:
        iterator(std::shared_ptr<std::vector<std::string> const> files, compression c)
            : files_(std::move(files)), compression_(c) {}

        bool next(element_type& out) {
            while (true) {
                if (!reader_) {
                    if (file_ >= files_->size())
                        return false;
                    reader_.emplace((*files_)[file_++], compression_);
                }
                if (reader_->next(record_)) {
                    std::swap(out, record_.data);
                    return true;
                }
                reader_.reset();
            }
        }

    private:
        std::shared_ptr<std::vector<std::string> const> files_;
        compression compression_;
        std::size_t file_ = 0;
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
