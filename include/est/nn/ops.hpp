// Operations a model_fn applies to a model's output to form predictions: argmax and softmax
// (tf.argmax and tf.nn.softmax), producing batches owned by the caller.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/sequential.hpp>

#include <algorithm>
#include <cstdint>

namespace est {

/// Index of the largest value of each example (over all its values), as an int64 per example.
template <class X>
batch_tensor<std::int64_t, shape<>> argmax(X const& x) {
    auto v = values_of(x);
    using S = typename decltype(v)::shape_type;
    batch_tensor<std::int64_t, shape<>> result(v.batch);
    float const* data = v.data;
    std::int64_t* out = result.data();
    host::for_each_index(v.batch, [=](std::size_t b) {
        float const* row = data + b * S::size;
        out[b] = std::max_element(row, row + S::size) - row;
    });
    return result;
}

namespace nn {
/// Softmax over each example's last dimension.
template <class X>
auto softmax(X const& x) {
    auto v = values_of(x);
    using S = typename decltype(v)::shape_type;
    batch_tensor<float, S> result(v.batch);
    std::copy_n(v.data, v.size(), result.data());
    constexpr std::size_t cols = S::extents[S::rank - 1];
    est::softmax::forward_rows(result.data(), v.size() / cols, cols);
    return result;
}
}  // namespace nn

}  // namespace est
