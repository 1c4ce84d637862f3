// A loss adds only losses of the same model: one train_op back-propagates one model. The failing
// program adds a loss of a second model; the twin adds a second loss of the same model.
#include <est/est.hpp>

// expect: est: a loss adds only losses of the same model
// names: losses_of_different_models<
// names: dense<3

using first_model = est::sequential<est::input<4>, est::dense<3>>;
using second_model = est::sequential<est::input<4>, est::dense<3, est::relu>>;

int main() {
    first_model a;
    second_model b;
    est::batch_tensor<float, est::shape<4>> x(2);
    est::batch_tensor<std::int32_t, est::shape<>> y(2);
    auto first = est::sparse_softmax_cross_entropy(y, a(x, est::train));
#ifdef EST_COMPILE_FAIL
    auto second = est::sparse_softmax_cross_entropy(y, b(x, est::train));
#else
    auto second = est::sparse_softmax_cross_entropy(y, a(x, est::train));
#endif
    auto total = first + 0.5f * second;
    auto train_op = est::sgd(0.1f).minimize(total);
    return est::is_training_op_v<decltype(train_op)> ? 0 : 1;
}
