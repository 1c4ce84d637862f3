// A conv2d after a dense layer gets a rank-1 shape; the message names position, layer and shapes.
#include <est/est.hpp>

// expect: est::sequential: a layer does not accept the shape produced before it
// expect: layer_shape_mismatch<est::position<3>, est::conv2d<8, 3>, est::shape<16>, est::requires_rank<3> >

#ifdef EST_COMPILE_FAIL
using model = est::sequential<est::input<8, 8, 1>, est::flatten, est::dense<16>, est::conv2d<8, 3>>;
#else
using model = est::sequential<est::input<8, 8, 1>, est::conv2d<8, 3>, est::flatten, est::dense<16>>;
#endif

int main() { return model::parameter_count > 0 ? 0 : 1; }
