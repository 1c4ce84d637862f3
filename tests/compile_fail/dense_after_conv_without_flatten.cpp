// dense takes rank-1 input: after a conv2d it needs a flatten. The twin has it.
#include <est/est.hpp>

// expect: est::sequential: a layer does not accept the shape produced before it
// names: layer_shape_mismatch<
// names: position<3>
// names: dense<10
// names: shape<14, 14, 32>
// names: requires_rank<1>

#ifdef EST_COMPILE_FAIL
using model = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                              est::dense<10>>;
#else
using model = est::sequential<est::input<28, 28, 1>, est::conv2d<32, 5, est::same, est::relu>, est::max_pool2d<2>,
                              est::flatten, est::dense<10>>;
#endif

int main() { return model::parameter_count > 0 ? 0 : 1; }
