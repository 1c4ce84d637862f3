// train_op belongs to TRAIN; an EVAL spec that carries one is rejected. The twin leaves it out.
#include <est/est.hpp>

using model = est::sequential<est::input<4>, est::dense<2>>;

// expect: est::spec: this field is not accepted in this mode
// names: spec_field_not_allowed_in_mode<
// names: mode_key::eval
// names: "train_op"

int main() {
    model net;
    est::batch_tensor<float, est::shape<4>> x(1);
    est::batch_tensor<std::int32_t, est::shape<>> y(1);
    auto loss = est::sparse_softmax_cross_entropy(y, net(x, est::eval));
#ifdef EST_COMPILE_FAIL
    auto spec = est::spec(est::eval, est::loss = loss, est::train_op = est::sgd(0.1f).minimize(loss));
#else
    auto spec = est::spec(est::eval, est::loss = loss);
#endif
    (void)spec;
}
