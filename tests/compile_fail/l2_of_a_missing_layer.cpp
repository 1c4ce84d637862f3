// est::l2<positions...>(model) names layers as summary() numbers them, 1 being the first after
// est::input; the model has 3 layers, and the failing program asks for the 4th.
#include <est/est.hpp>

// expect: est::l2<positions...>(model): a position is not a layer of the model
// names: l2_of_a_missing_layer<
// names: position<4>

using model = est::sequential<est::input<8>, est::dense<6, est::relu>, est::dropout<0.5f>, est::dense<3>>;

int main() {
    model net;
#ifdef EST_COMPILE_FAIL
    auto penalty = est::l2<1, 4>(net);
#else
    auto penalty = est::l2<1, 3>(net);
#endif
    auto train_op = est::sgd(0.1f).minimize(1e-4f * penalty);
    return est::is_training_op_v<decltype(train_op)> ? 0 : 1;
}
