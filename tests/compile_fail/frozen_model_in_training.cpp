// A frozen model is run in est::train mode; the twin runs it in est::predict mode.
#include <est/est.hpp>

// expect: est::frozen: a frozen model runs inference only
// names: frozen_model_in_training<
// names: mode_key::train

int main() {
    est::sequential<est::input<4>, est::dense<3>> net;
    net.initialize(1);
    est::frozen<decltype(net)> served(net);
    est::batch_tensor<float, est::shape<4>> features(2);
#ifdef EST_COMPILE_FAIL
    auto y = served(features, est::train);
#else
    auto y = served(features, est::predict);
#endif
    (void)y;
    return 0;
}
