// Definitions of est/data/tfrecord_dataset.hpp (see est/core/config.hpp).
#pragma once

#include <est/data/tfrecord_dataset.hpp>

namespace est::data {

EST_DECL std::string serialized_record::origin() const {
    return "TFRecord file '" + (file ? *file : std::string("?")) + "': record " + std::to_string(index) + " at byte " +
           std::to_string(offset);
}

EST_DECL bool tfrecord_dataset::iterator::next(element_type& out) {
    while (true) {
        if (!reader_) {
            if (file_ >= files_->size())
                return false;
            file_name_ = std::make_shared<std::string const>((*files_)[file_++]);
            reader_.emplace(*file_name_, compression_);
        }
        if (reader_->next(record_)) {
            std::swap(out.bytes, record_.data);
            out.file = file_name_;
            out.index = record_.index;
            out.offset = record_.offset;
            return true;
        }
        reader_.reset();
    }
}

}  // namespace est::data
