// Definitions of est/data/image_shards.hpp (see est/core/config.hpp).
#pragma once

#include <est/data/image_shards.hpp>

#include <cstdio>

namespace est::data {

EST_DECL std::string shard_file_name(std::string const& prefix, std::size_t index, std::size_t count) {
    char name[64];
    std::snprintf(name, sizeof name, "-%05zu-of-%05zu.tfrecord", index, count);
    return prefix + name;
}

}  // namespace est::data
