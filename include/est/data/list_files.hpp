// list_files(pattern, {.shuffle, .seed}): the files matching a glob pattern, sorted, or shuffled anew on
// each pass from `seed` (tf.data.Dataset.list_files). No match is an error naming the pattern.
#pragma once

#include <est/core/error.hpp>
#include <est/core/random.hpp>
#include <est/data/dataset.hpp>

#include <glob.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace est::data {

/// The files matching `pattern` (glob(3) syntax: *, ?, [...]), sorted by name.
inline std::vector<std::string> glob_files(std::string const& pattern) {
    glob_t matches{};
    int status = ::glob(pattern.c_str(), 0, nullptr, &matches);
    std::vector<std::string> files;
    if (status == 0)
        files.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
    ::globfree(&matches);
    if (status == GLOB_NOMATCH || files.empty())
        throw error("list_files: no file matches '" + pattern + "'");
    if (status != 0)
        throw error("list_files: cannot read the directories of '" + pattern + "'");
    std::sort(files.begin(), files.end());
    return files;
}

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

    iterator make_iterator() const {
        std::vector<std::string> order = *files_;
        if (shuffle_) {
            random_engine engine(derive_seed(seed_, (*passes_)++));
            for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[engine.below(i)]);
        }
        return iterator(std::move(order));
    }

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
