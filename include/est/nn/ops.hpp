// Operations a model_fn applies to a model's output to form predictions: argmax and softmax
// (tf.argmax and tf.nn.softmax). They run on the model's back end and return host batches, which
// is where predictions go.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/host_device.hpp>
#include <est/core/tensor.hpp>
#include <est/host/backend.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/sequential.hpp>

#include <cstdint>
#include <type_traits>

namespace est {

namespace detail {
/// The back end a value is computed on: its model's for a model output, the host for a host batch.
template <class X>
struct backend_of {
    static_assert(std::is_same_v<memory_space_of<X>, host_memory>,
                  "est: a batch outside host memory must come with its model (a model output)");
    using type = host;
};
template <class Net>
struct backend_of<model_output<Net>> {
    using type = typename Net::backend_type;
};

/// Index of the largest of `cols` values (the first on ties).
template <class T>
EST_HOST_DEVICE std::size_t index_of_largest(T const* row, std::size_t cols) {
    std::size_t best = 0;
    for (std::size_t c = 1; c < cols; ++c) best = row[c] > row[best] ? c : best;
    return best;
}

/// Index of the largest value of row r.
struct argmax_rows {
    float const* values;
    std::int64_t* out;
    std::size_t cols;
    EST_HOST_DEVICE void operator()(std::size_t r) const { out[r] = std::int64_t(index_of_largest(values + r * cols, cols)); }
};

/// Runs `compute(out)` on back end B into `result` (host memory), through a B buffer where B's
/// memory is not the host's.
template <class B, class T, class S, class Compute>
void compute_into(batch_tensor<T, S>& result, Compute&& compute) {
    if constexpr (std::is_same_v<typename B::memory_space, host_memory>) {
        compute(result.data());
    } else {
        buffer<T, B> values(result.size());
        compute(values.data());
        B::copy_to_host(result.data(), values.data(), result.size() * sizeof(T));
    }
}
template <class X>
batch_tensor<std::int64_t, shape<>> argmax_of(X const& x) {
    using B = typename detail::backend_of<X>::type;
    auto v = values_of(x);
    using S = typename decltype(v)::shape_type;
    batch_tensor<std::int64_t, shape<>> result(v.batch);
    detail::compute_into<B>(result, [&](std::int64_t* out) {
        B::for_each(v.batch, detail::argmax_rows{v.data, out, S::size}, 64);
    });
    return result;
}

template <class X>
auto softmax_of(X const& x) {
    using B = typename detail::backend_of<X>::type;
    auto v = values_of(x);
    using S = typename decltype(v)::shape_type;
    constexpr std::size_t cols = S::extents[S::rank - 1];
    batch_tensor<float, S> result(v.batch);
    detail::compute_into<B>(result, [&](float* out) {
        B::copy(out, v.data, v.size() * sizeof(float));
        B::for_each(v.size() / cols, detail::softmax_rows{out, cols}, 64);
    });
    return result;
}
}  // namespace detail

/// Index of the largest value of each example (over all its values), as an int64 per example.
template <class X>
auto argmax(X const& x) {
    if constexpr (Invalid<X>)
        return invalid_value{};  // reported where it was made
    else
        return detail::argmax_of(x);
}

namespace nn {
/// Softmax over each example's last dimension.
template <class X>
auto softmax(X const& x) {
    if constexpr (Invalid<X>)
        return invalid_value{};
    else
        return est::detail::softmax_of(x);
}
}  // namespace nn

}  // namespace est
