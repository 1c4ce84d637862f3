// Writes the input to a file and reads it with data::read_idx for each element type (gzopen reads
// plain and gzip files alike, so a seed may be either). A tensor read must hold as many elements
// as its shape says. est::error is the expected failure; any other exception, an allocation beyond
// -malloc_limit_mb or a sanitizer report is a bug.
#include "fuzz_input.hpp"

#include <est/core/error.hpp>
#include <est/data/idx.hpp>

#include <cstdlib>

namespace {
template <class T>
void read_as(std::filesystem::path const& path) {
    try {
        auto tensor = est::data::read_idx<T>(path.string());
        std::size_t count = 1;
        for (auto d : tensor.shape()) count *= d;
        if (count != tensor.size())
            std::abort();
    } catch (est::error const&) {
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto path = fuzz::write_file("input.idx", fuzz::as_view(data, size));
    read_as<std::uint8_t>(path);
    read_as<std::int8_t>(path);
    read_as<std::int16_t>(path);
    read_as<std::int32_t>(path);
    read_as<float>(path);
    read_as<double>(path);
    return 0;
}
