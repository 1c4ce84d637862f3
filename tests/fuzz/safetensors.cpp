// Writes the input to a file and reads it with io::read_safetensors. Every tensor read must hold
// as many values as its shape says. est::error is the expected failure; any other exception
// (nlohmann::json's included), an allocation beyond -malloc_limit_mb or a sanitizer report is a bug.
#include "fuzz_input.hpp"

#include <est/core/error.hpp>
#include <est/io/safetensors.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto path = fuzz::write_file("input.safetensors", fuzz::as_view(data, size));
    try {
        auto content = est::io::read_safetensors(path);
        for (auto const& [name, tensor] : content.tensors) {
            std::size_t count = 1;
            for (auto d : tensor.shape) count *= d;
            if (count != tensor.values.size())
                std::abort();
        }
    } catch (est::error const&) {
    }
    return 0;
}
