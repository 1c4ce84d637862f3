// Definitions of est/data/idx.hpp (see est/core/config.hpp).
#pragma once

#include <est/core/error.hpp>
#include <est/data/idx.hpp>

#include <zlib.h>

#include <algorithm>
#include <filesystem>

namespace est::data {

namespace detail {
EST_DECL void read_exactly(gzFile file, void* out, std::size_t bytes, std::string const& path, std::size_t offset,
                           char const* what) {
    auto* p = static_cast<unsigned char*>(out);
    std::size_t done = 0;
    while (done < bytes) {
        unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes - done, 1u << 30));
        int got = gzread(file, p + done, chunk);
        if (got < 0) {
            int code = 0;
            throw error("IDX file '" + path + "': cannot read " + what + " at byte " + std::to_string(offset + done) +
                        ": " + gzerror(file, &code));
        }
        if (got == 0)
            throw error("IDX file '" + path + "' is truncated: " + what + " needs " + std::to_string(bytes) +
                        " bytes from byte " + std::to_string(offset) + ", the file ends after " +
                        std::to_string(offset + done));
        done += std::size_t(got);
    }
}
}  // namespace detail

EST_DECL idx_split read_idx_split(std::string const& images_path, std::string const& labels_path) {
    idx_split split{read_idx<std::uint8_t>(images_path), read_idx<std::uint8_t>(labels_path)};
    if (split.images.dimension() != 3)
        throw error("IDX file '" + images_path + "' is not a stack of images (rank " +
                    std::to_string(split.images.dimension()) + ", expected 3)");
    if (split.labels.dimension() != 1)
        throw error("IDX file '" + labels_path + "' is not a list of labels (rank " +
                    std::to_string(split.labels.dimension()) + ", expected 1)");
    if (split.images.shape()[0] != split.labels.shape()[0])
        throw error("IDX files '" + images_path + "' (" + std::to_string(split.images.shape()[0]) + " images) and '" +
                    labels_path + "' (" + std::to_string(split.labels.shape()[0]) + " labels) do not match");
    return split;
}

EST_DECL idx_split read_mnist(std::string const& directory, std::string const& split) {
    auto pick = [&](std::string const& stem) {
        std::string plain = directory + "/" + split + "-" + stem;
        return std::filesystem::exists(plain + ".gz") ? plain + ".gz" : plain;
    };
    return read_idx_split(pick("images-idx3-ubyte"), pick("labels-idx1-ubyte"));
}

}  // namespace est::data
