// A conv2d after a dense layer gets a rank-1 shape; the message names position, layer and shapes.
#include <est/est.hpp>

// expect: est::sequential: a layer does not accept the shape produced before it
// names: layer_shape_mismatch<
// names: position<3>
// names: conv2d<8, 3
// names: shape<16>
// names: requires_rank<3>

#ifdef EST_COMPILE_FAIL
using model = est::sequential<est::input<8, 8, 1>, est::flatten, est::dense<16>, est::conv2d<8, 3>>;
#else
using model = est::sequential<est::input<8, 8, 1>, est::conv2d<8, 3>, est::flatten, est::dense<16>>;
#endif

int main() { return model::parameter_count > 0 ? 0 : 1; }
