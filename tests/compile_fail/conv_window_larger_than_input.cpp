// A valid-padded 5x5 convolution does not fit a 4x4 input; with same padding it does.
#include <est/est.hpp>

// expect: est::sequential: a layer does not accept the shape produced before it
// names: layer_shape_mismatch<
// names: position<1>
// names: conv2d<8, 5
// names: shape<4, 4, 1>
// names: requires_spatial_at_least<5, 5>

#ifdef EST_COMPILE_FAIL
using model = est::sequential<est::input<4, 4, 1>, est::conv2d<8, 5>>;
#else
using model = est::sequential<est::input<4, 4, 1>, est::conv2d<8, 5, est::same>>;
#endif

int main() { return model::parameter_count > 0 ? 0 : 1; }
