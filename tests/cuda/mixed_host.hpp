// A host model's training step and inference pass, compiled into each translation unit that
// includes this: tests/cuda/mixed_host.cu (nvcc) and mixed_host.cpp (the C++ compiler). The inline
// functions and templates behind them have one definition in the program, which the linker takes
// from the first object that has it; both compilers must give them the same body.
#pragma once

#include <est/est.hpp>

#include <cstddef>
#include <cstring>
#include <vector>

namespace mixed_host {

/// A first convolution over one channel (est's direct kernels where the CPU runs them) and a
/// dense layer (the host's gemm).
using model = est::sequential<est::input<12, 12, 1>, est::conv2d<16, 5, est::same, est::relu>, est::max_pool2d<2>,
                              est::flatten, est::dense<10>>;

struct result {
    std::size_t lanes = 0;      ///< est::detail::widest_lanes() as this translation unit calls it
    std::vector<float> values;  ///< the loss, every gradient and the inference logits
};

inline result run() {
    model net;
    net.initialize(7);
    est::batch_tensor<float, model::input_shape_type> x(16);
    est::random_engine engine(9);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = engine.uniform(-1.0f, 1.0f);
    est::batch_tensor<std::int32_t, est::shape<>> y(16);
    for (std::size_t i = 0; i < 16; ++i) y.data()[i] = std::int32_t(engine.below(10));
    result r;
    r.lanes = est::detail::widest_lanes();
    auto loss = est::sparse_softmax_cross_entropy(y, net(x, est::train));
    loss.backward();
    r.values.push_back(loss.value());
    for (auto const& p : net.parameters())
        for (float g : net.read_gradient(p)) r.values.push_back(g);
    auto logits = net(x, est::predict);
    r.values.insert(r.values.end(), logits.value.data, logits.value.data + logits.value.size());
    return r;
}

}  // namespace mixed_host
