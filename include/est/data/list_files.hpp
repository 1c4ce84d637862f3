// list_files(pattern, {.shuffle, .seed}): the files matching a glob pattern, sorted, or shuffled anew on
// each pass from `seed` (tf.data.Dataset.list_files). No match is an error naming the pattern.
#pragma once

#include <est/core/config.hpp>
#include <est/data/dataset.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace est::data {

/// The files matching `pattern` (glob(3) syntax: *, ?, [...]), sorted by name.
EST_DECL std::vector<std::string> glob_files(std::string const& pattern);

class file_list_dataset : public stages<file_list_dataset> {
public:
    using element_type = std::string;

    file_list_dataset(std::vector<std::string> files, bool shuffle, std::uint64_t seed)
        : files_(std::make_shared<std::vector<std::string> const>(std::move(files))),
          shuffle_(shuffle),
          seed_(seed),
          passes_(std::make_shared<std::uint64_t>(0)) {}

    class iterator {
    public:
        explicit iterator(std::vector<std::string> order) : order_(std::move(order)) {}
        bool next(element_type& out) {
            if (position_ >= order_.size())
                return false;
            out = order_[position_++];
            return true;
        }

    private:
        std::vector<std::string> order_;
        std::size_t position_ = 0;
    };
    using iterator_type = iterator;

    EST_DECL iterator make_iterator() const;

private:
    std::shared_ptr<std::vector<std::string> const> files_;
    bool shuffle_;
    std::uint64_t seed_;
    std::shared_ptr<std::uint64_t> passes_;  // shared by copies: each pass of any copy reshuffles
};

/// Whether list_files shuffles the files (anew on each pass, from `seed`) or keeps them sorted.
struct list_files_options {
    bool shuffle = false;
    std::uint64_t seed = 0;
};

/// The files matching `pattern`, sorted, or shuffled on each pass with `{.shuffle = true, .seed = s}`.
inline file_list_dataset list_files(std::string const& pattern, list_files_options options = {}) {
    return file_list_dataset(glob_files(pattern), options.shuffle, options.seed);
}

}  // namespace est::data

#if defined(EST_DEFINITIONS)
#include <est/data/impl/list_files.ipp>
#endif
