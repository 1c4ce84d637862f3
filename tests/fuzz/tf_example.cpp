// Feeds the input as a serialized tf.train.Example to tf_example::parse, then to example_schema
// parsers reading fixed_len and var_len features of every kind. A parsed Example must serialize
// to bytes that parse back to the same serialization. est::error is the expected failure; any
// other exception, a failed round trip or a sanitizer report is a bug.
#include "fuzz_input.hpp"

#include <est/core/error.hpp>
#include <est/data/example_schema.hpp>
#include <est/data/tf_example.hpp>

#include <cstdlib>

namespace {
namespace data = est::data;

using scalars = data::example_schema<data::fixed_len<"label", std::int64_t, est::shape<>, -1>,
                                     data::fixed_len<"weight", float, est::shape<>, 1>,
                                     data::fixed_len<"image/encoded", std::string>>;
using tensors = data::example_schema<data::fixed_len<"image", float, est::shape<2, 2>>,
                                     data::fixed_len<"ids", std::int64_t, est::shape<3>, 0>>;
using lists = data::example_schema<data::var_len<"values", float>, data::var_len<"ids", std::int64_t>,
                                   data::var_len<"tags", std::string>>;

template <class Schema>
void parse_with(std::string_view bytes) {
    try {
        auto record = Schema::parse(bytes, "fuzz input");
        (void)record;
    } catch (est::error const&) {
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view bytes = fuzz::as_view(data, size);
    try {
        auto example = data::tf_example::parse(bytes);
        std::string serialized = example.serialize();
        if (data::tf_example::parse(serialized).serialize() != serialized)
            std::abort();  // the round trip changed the Example
    } catch (est::error const&) {
    }
    parse_with<scalars>(bytes);
    parse_with<tensors>(bytes);
    parse_with<lists>(bytes);
    return 0;
}
