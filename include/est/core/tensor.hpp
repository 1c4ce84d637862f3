// Batched tensors: a static example shape behind a dynamic batch size, stored contiguously. A view
// carries its memory space in its type and its layout as a value: the input pipeline's batches are
// host memory in the canonical row-major (NHWC) layout, seen through xtensor adaptors; a back end's
// activations may be device memory or a blocked layout. Views let layers hand data on without copies.
#pragma once

#include <est/core/xtensor_config.hpp>

#include <est/core/layout.hpp>
#include <est/core/memory_space.hpp>
#include <est/core/shape.hpp>

#include <xtensor/xadapt.hpp>
#include <xtensor/xfixed.hpp>
#include <xtensor/xtensor.hpp>

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace est {

/// A float tensor of a given shape, filled with `value` (avoids xtensor's `xtensor<float, 1>({n})`
/// pitfall, which makes a one-element tensor holding n).
template <std::size_t N>
xt::xtensor<float, N> filled_tensor(std::array<std::size_t, N> const& extents, float value = 0.0f) {
    xt::xtensor<float, N> result(extents);
    result.fill(value);
    return result;
}

/// A non-owning view of a batch: `batch` examples of static shape `S`, contiguous in `Space`, laid
/// out as `layout` says. Per-example access (`example`, `xview`) is for host memory in the
/// canonical layout.
template <class T, Shape S, MemorySpace Space = host_memory>
struct batch_view {
    using value_type = T;
    using shape_type = S;
    using memory_space = Space;

    T* data = nullptr;
    std::size_t batch = 0;
    est::layout layout = est::layout::canonical;

    /// Values of the batch (its logical size).
    constexpr std::size_t size() const { return batch * S::size; }
    /// Values the batch takes in memory: more than size() where a blocked layout pads the channels.
    constexpr std::size_t stored_size() const {
        if constexpr (S::rank == 3)
            return est::stored_size(layout, batch, S::extents[0] * S::extents[1], S::extents[2]);
        else
            return size();
    }
    constexpr std::span<T, S::size> example(std::size_t i) const requires std::is_same_v<Space, host_memory> {
        return std::span<T, S::size>(data + i * S::size, S::size);
    }
    /// The read-only view (a template, so that a view of const values declares no conversion to itself).
    template <class U = T>
    requires(!std::is_const_v<U>) constexpr operator batch_view<U const, S, Space>() const {
        return {data, batch, layout};
    }

    /// The batch as an xtensor expression of shape (batch, dims...).
    auto xview() const requires std::is_same_v<Space, host_memory> {  // the pointer is passed as a prvalue: xt::adapt
                                                                      // holds an lvalue by reference
        return xt::adapt(static_cast<T*>(data), size(), xt::no_ownership(), batch_shape<S>{batch}.extents());
    }
};

/// An owning batch of static example shape `S` in host memory, canonical layout. Resizing to a
/// batch size it had before does not allocate.
template <class T, Shape S>
class batch_tensor {
public:
    using value_type = T;
    using shape_type = S;

    batch_tensor() = default;
    explicit batch_tensor(std::size_t batch) { resize(batch); }

    void resize(std::size_t batch) {
        if (batch * S::size > storage_.size())
            storage_.resize(batch * S::size);
        batch_ = batch;
    }
    std::size_t batch_size() const { return batch_; }
    std::size_t size() const { return batch_ * S::size; }

    T* data() { return storage_.data(); }
    T const* data() const { return storage_.data(); }

    batch_view<T, S> view() { return {data(), batch_}; }
    batch_view<T const, S> view() const { return {data(), batch_}; }
    operator batch_view<T, S>() { return view(); }
    operator batch_view<T const, S>() const { return view(); }

    std::span<T, S::size> example(std::size_t i) { return view().example(i); }
    std::span<T const, S::size> example(std::size_t i) const { return view().example(i); }
    auto xview() const { return view().xview(); }
    auto xview() { return view().xview(); }

private:
    std::vector<T> storage_;  // grows to the largest batch seen, never shrinks
    std::size_t batch_ = 0;
};

namespace detail {
template <class T, class S>
struct example_value;
template <class T>
struct example_value<T, shape<>> {
    using type = T;
};
template <class T, std::size_t... Dims>
requires(sizeof...(Dims) > 0) struct example_value<T, shape<Dims...>> {
    using type = xt::xtensor_fixed<T, xt::xshape<Dims...>>;
};

template <class V>
struct example_traits {
    using value_type = V;
    using shape_type = shape<>;
};
template <class T, std::size_t... Dims>
struct example_traits<xt::xtensor_fixed<T, xt::xshape<Dims...>>> {
    using value_type = T;
    using shape_type = shape<Dims...>;
};
}  // namespace detail

/// The value of one example of static shape `S`: a scalar for `shape<>`, else a fixed-size xtensor.
template <class T, Shape S>
using example_value_t = typename detail::example_value<T, S>::type;

/// The element type and static shape of a per-example value (the inverse of `example_value_t`).
template <class V>
using example_value_type_t = typename detail::example_traits<V>::value_type;
template <class V>
using example_shape_t = typename detail::example_traits<V>::shape_type;

template <class T>
inline constexpr bool is_batch_v = false;
template <class T, class S>
inline constexpr bool is_batch_v<batch_tensor<T, S>> = true;
template <class T, class S, class Space>
inline constexpr bool is_batch_v<batch_view<T, S, Space>> = true;

/// A batch of examples with a static shape, owning or not.
template <class T>
concept Batch = is_batch_v<std::remove_cvref_t<T>>;

/// The read-only view of any batch.
template <Batch B>
auto as_view(B const& batch) {
    using batch_type = std::remove_cvref_t<B>;
    using value_type = std::remove_const_t<typename batch_type::value_type>;
    if constexpr (requires { batch.view(); })
        return batch_view<value_type const, typename batch_type::shape_type>(batch.view());
    else
        return batch_view<value_type const, typename batch_type::shape_type, typename batch_type::memory_space>(batch);
}

/// The memory space of a batch (host memory for an owning batch_tensor).
template <Batch B>
using memory_space_of = typename decltype(as_view(std::declval<B const&>()))::memory_space;

}  // namespace est
