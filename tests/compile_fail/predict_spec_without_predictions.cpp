// A PREDICT spec needs predictions; the twin gives them.
#include <est/est.hpp>

using namespace est::literals;
using model = est::sequential<est::input<4>, est::dense<2>>;

// expect: a field the mode requires is missing
// names: missing_spec_field<
// names: mode_key::predict
// names: "predictions"

int main() {
    model net;
    est::batch_tensor<float, est::shape<4>> x(1);
    auto logits = net(x, est::predict);
#ifdef EST_COMPILE_FAIL
    auto spec = est::spec(est::predict);
    (void)logits;
#else
    auto spec = est::spec(est::predict, est::predictions = est::fields("classes"_f = est::argmax(logits)));
#endif
    (void)spec;
}
