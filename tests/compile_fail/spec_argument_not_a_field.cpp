// est::spec takes `field = value` arguments; the failing call passes the loss bare, the twin names
// it est::loss.
#include <est/est.hpp>

// expect: est::spec(mode, ...): pass fields as est::loss = ..., est::train_op = ..., est::predictions = ...
// names: spec_argument_not_a_field<
// names: model_loss<

int main() {
    est::sequential<est::input<4>, est::dense<3>> net;
    est::batch_tensor<float, est::shape<4>> features(2);
    est::batch_tensor<std::int32_t, est::shape<>> labels(2);
    auto loss = est::sparse_softmax_cross_entropy(labels, net(features, est::eval));
#ifdef EST_COMPILE_FAIL
    auto spec = est::spec(est::eval, loss);
#else
    auto spec = est::spec(est::eval, est::loss = loss);
#endif
    return sizeof(spec) > 0 ? 0 : 1;
}
