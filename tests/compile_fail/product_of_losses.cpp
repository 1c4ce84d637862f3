// Losses are added and scaled by numbers; a product of two losses has no gradient est could
// back-propagate as a sum of terms. The twin scales one loss by the other's value.
#include <est/est.hpp>

// expect: est: losses are added and scaled by numbers, never multiplied by each other
// names: product_of_losses<

using model = est::sequential<est::input<4>, est::dense<3>>;

int main() {
    model net;
    est::batch_tensor<float, est::shape<4>> x(2);
    est::batch_tensor<std::int32_t, est::shape<>> y(2);
    auto logits = net(x, est::train);
    auto a = est::sparse_softmax_cross_entropy(y, logits);
    auto b = est::mean_squared_error(est::batch_tensor<float, est::shape<3>>(2), logits);
#ifdef EST_COMPILE_FAIL
    auto total = a * b;
#else
    auto total = a * b.value();
#endif
    auto train_op = est::sgd(0.1f).minimize(total);
    return est::is_training_op_v<decltype(train_op)> ? 0 : 1;
}
