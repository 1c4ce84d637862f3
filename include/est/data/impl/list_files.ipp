// Definitions of est/data/list_files.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/core/random.hpp>
#include <est/data/list_files.hpp>

#include <glob.h>

#include <algorithm>

namespace est::data {

EST_DECL std::vector<std::string> glob_files(std::string const& pattern) {
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

EST_DECL file_list_dataset::iterator file_list_dataset::make_iterator() const {
    std::vector<std::string> order = *files_;
    if (shuffle_) {
        random_engine engine(derive_seed(seed_, (*passes_)++));
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[engine.below(i)]);
    }
    return iterator(std::move(order));
}

}  // namespace est::data
