// Trains a tiny model a few steps: proves headers, dependencies and definitions reach a consumer.
#include <est/est.hpp>

#include <cstdio>

using model = est::sequential<est::input<4>, est::dense<8, est::tanh>, est::dense<2>>;

int main() {
    model net;
    net.initialize(1);
    est::batch_tensor<float, est::shape<4>> x(3);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i) / 10.0f;
    est::batch_tensor<std::int32_t, est::shape<>> y(3);
    y.data()[0] = 0, y.data()[1] = 1, y.data()[2] = 1;
    est::adam<>::slots<est::host> slots;
    float first = 0.0f, last = 0.0f;
    for (std::uint64_t step = 0; step < 50; ++step) {
        auto loss = est::sparse_softmax_cross_entropy(y, net(x, est::train));
        (step == 0 ? first : last) = loss.value();
        est::adam(0.05f).minimize(loss).run(slots, step);
    }
    std::printf("loss %.4f -> %.4f\n", first, last);
    return last < first ? 0 : 1;
}
