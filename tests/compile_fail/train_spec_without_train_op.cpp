// A TRAIN spec needs train_op; the twin gives one.
#include <est/est.hpp>

using model = est::sequential<est::input<4>, est::dense<2>>;

// expect: a field the mode requires is missing
// names: missing_spec_field<
// names: mode_key::train
// names: "train_op"
// names: "loss"

int main() {
    model net;
    est::batch_tensor<float, est::shape<4>> x(1);
    est::batch_tensor<std::int32_t, est::shape<>> y(1);
    auto loss = est::sparse_softmax_cross_entropy(y, net(x, est::train));
#ifdef EST_COMPILE_FAIL
    auto spec = est::spec(est::train, est::loss = loss);
#else
    auto spec = est::spec(est::train, est::loss = loss, est::train_op = est::sgd(0.1f).minimize(loss));
#endif
    (void)spec;
}
