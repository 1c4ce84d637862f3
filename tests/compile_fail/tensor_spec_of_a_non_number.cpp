// An element spec's tensor holds numbers; a std::string image does not compile, the twin's float
// does.
#include <est/est.hpp>

#include <string>

// expect: est::tensor_spec<name, T, shape>: T is an arithmetic value type
// names: tensor_spec_value_type_is_not_arithmetic<
// names: "image"

#ifdef EST_COMPILE_FAIL
using image = est::tensor_spec<"image", std::string, est::shape<4, 4, 1>>;
#else
using image = est::tensor_spec<"image", float, est::shape<4, 4, 1>>;
#endif
using input = est::element_spec<est::features<image>, est::labels<est::tensor_spec<"label", std::int32_t>>>;

int main() { return sizeof(input::element_type) > 0 ? 0 : 1; }
