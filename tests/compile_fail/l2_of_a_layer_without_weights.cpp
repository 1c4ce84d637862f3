// An L2 term regularizes weights; dropout holds none. The twin names the two dense layers.
#include <est/est.hpp>

// expect: est::l2<positions...>(model): a layer holds no weights to regularize
// names: l2_of_a_layer_without_weights<
// names: position<2>
// names: dropout<

using model = est::sequential<est::input<8>, est::dense<6, est::relu>, est::dropout<0.5f>, est::dense<3>>;

int main() {
    model net;
#ifdef EST_COMPILE_FAIL
    auto penalty = est::l2<2>(net);
#else
    auto penalty = est::l2<3>(net);
#endif
    auto train_op = est::sgd(0.1f).minimize(1e-4f * penalty);
    return est::is_training_op_v<decltype(train_op)> ? 0 : 1;
}
