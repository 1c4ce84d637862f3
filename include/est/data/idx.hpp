// IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed (zlib reads both).
// Every way a file can be wrong (missing, bad magic, wrong element type, truncated) is an error
// that names the file.
#pragma once

#include <est/core/config.hpp>
#include <est/core/xtensor_config.hpp>

#include <est/core/error.hpp>

#include <xtensor/xarray.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace est::data {

namespace detail {
template <class T>
constexpr std::uint8_t idx_type_code() {
    if constexpr (std::is_same_v<T, std::uint8_t>)
        return 0x08;
    else if constexpr (std::is_same_v<T, std::int8_t>)
        return 0x09;
    else if constexpr (std::is_same_v<T, std::int16_t>)
        return 0x0B;
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return 0x0C;
    else if constexpr (std::is_same_v<T, float>)
        return 0x0D;
    else if constexpr (std::is_same_v<T, double>)
        return 0x0E;
    else
        static_assert(sizeof(T) == 0, "est::data::read_idx: IDX holds uint8, int8, int16, int32, float or double");
}

struct gz_file_closer {
    void operator()(gzFile f) const { gzclose(f); }
};

EST_DECL void read_exactly(gzFile file, void* out, std::size_t bytes, std::string const& path, std::size_t offset,
                           char const* what);
}  // namespace detail

/// Reads an IDX file of element type T into a tensor of the file's shape.
template <class T>
xt::xarray<T> read_idx(std::string const& path) {
    std::unique_ptr<gzFile_s, detail::gz_file_closer> file(gzopen(path.c_str(), "rb"));
    if (!file)
        throw error("IDX file '" + path + "' cannot be opened (missing or unreadable)");
    std::array<std::uint8_t, 4> magic{};
    detail::read_exactly(file.get(), magic.data(), 4, path, 0, "the magic number");
    if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0 || magic[3] > 4)
        throw error("IDX file '" + path + "' has a wrong magic number (expected 00 00 <type> <rank 1-4>)");
    if (magic[2] != detail::idx_type_code<T>())
        throw error("IDX file '" + path + "' holds element type code " + std::to_string(magic[2]) + ", not the " +
                    std::to_string(detail::idx_type_code<T>()) + " that was asked for");
    std::vector<std::size_t> dims(magic[3]);
    std::string shape;
    for (std::size_t i = 0; i < dims.size(); ++i) {
        std::array<std::uint8_t, 4> b{};
        detail::read_exactly(file.get(), b.data(), 4, path, 4 + 4 * i, "a dimension");
        dims[i] = (std::size_t(b[0]) << 24) | (std::size_t(b[1]) << 16) | (std::size_t(b[2]) << 8) | b[3];
        if (i > 0)
            shape += 'x';
        shape += std::to_string(dims[i]);
    }
    // The shape is checked against the file before anything is allocated: a corrupt dimension must
    // not ask for gigabytes. A gzip stream inflates at most 1032-fold (deflate's limit).
    std::size_t header = 4 + 4 * dims.size();
    std::error_code size_error;
    std::uintmax_t file_size = std::filesystem::file_size(path, size_error);
    std::uintmax_t available = size_error             ? std::uintmax_t(-1)
                               : gzdirect(file.get()) ? (file_size > header ? file_size - header : 0)
                                                      : file_size * 1032;
    // An empty tensor (a zero dimension) reads no data, but its other dimensions still make its
    // strides, which must stay within std::ptrdiff_t.
    bool empty = std::find(dims.begin(), dims.end(), 0) != dims.end();
    std::uintmax_t limit = empty ? std::uintmax_t(std::numeric_limits<std::ptrdiff_t>::max()) : available / sizeof(T);
    std::size_t count = 1;
    for (std::size_t d : dims) {
        if (d != 0 && count > limit / d)
            throw error("IDX file '" + path + "' is " +
                        (empty ? "corrupt: its shape " + shape + " is too large to index"
                               : "truncated or corrupt: its shape " + shape + " needs more than the " +
                                     std::to_string(available) + " bytes of data the file can hold"));
        count *= d != 0 ? d : 1;
    }
    count = empty ? 0 : count;
    auto result = xt::xarray<T>::from_shape(dims);
    detail::read_exactly(file.get(), result.data(), count * sizeof(T), path, header, "the data");
    if constexpr (sizeof(T) > 1) {  // IDX is big-endian
        auto* bytes = reinterpret_cast<unsigned char*>(result.data());
        for (std::size_t i = 0; i < count; ++i) std::reverse(bytes + i * sizeof(T), bytes + (i + 1) * sizeof(T));
    }
    return result;
}

/// Images and labels of one split, as the MNIST family stores them.
struct idx_split {
    xt::xarray<std::uint8_t> images;  ///< (n, rows, cols)
    xt::xarray<std::uint8_t> labels;  ///< (n)
};

/// Reads an images file and its labels file, checking that they describe the same examples.
EST_DECL idx_split read_idx_split(std::string const& images_path, std::string const& labels_path);

/// Reads split "train" or "t10k" of (Fashion-)MNIST from `directory`, gzip-compressed or not.
EST_DECL idx_split read_mnist(std::string const& directory, std::string const& split);

}  // namespace est::data

#if defined(EST_DEFINITIONS)
#include <est/data/impl/idx.ipp>
#endif
