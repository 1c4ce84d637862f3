// Batches on the model's back end. The input pipeline produces batches in host memory; where the
// model runs on a device, the estimator copies each batch's fields into device buffers of its own
// (sized on the first batch, reused after) before the model_fn sees them, so the model_fn gets a
// record with the same names whose values are views in device memory. The copies go through the
// back end's uploader (page-locked staging, queued behind the previous step), so the host does not
// wait for the device to finish a step before it hands over the next batch. On the host nothing is
// copied.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/fixed_string.hpp>
#include <est/core/memory_space.hpp>
#include <est/core/record.hpp>
#include <est/core/tensor.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace est::detail {

/// The view of a host batch value `V` in memory space `Space`.
template <class V, class Space>
using view_in = batch_view<typename decltype(as_view(std::declval<V const&>()))::value_type,
                           typename decltype(as_view(std::declval<V const&>()))::shape_type, Space>;

/// The record the model_fn sees for a host record R on back end B.
template <class B, class R>
struct staged_record {
    using type = R;
};
template <class B, fixed_string... Names, class... Vs>
requires(!std::is_same_v<typename B::memory_space, host_memory>) struct staged_record<B, record<named<Names, Vs>...>> {
    using type = record<named<Names, view_in<Vs, typename B::memory_space>>...>;
};

/// Copies host records of type R to back end B (passes them through on the host).
template <class B, class R>
class batch_stager {
public:
    using type = typename staged_record<B, R>::type;

    type const& stage(R const& host) {
        if constexpr (std::is_same_v<type, R>) {
            return host;
        } else {
            [&]<std::size_t... I>(std::index_sequence<I...>) { (stage_field<I>(host), ...); }
            (std::make_index_sequence<R::size>{});
            return staged_;
        }
    }

private:
    template <class Staged>
    struct storage_of;
    template <class... Named>
    struct storage_of<record<Named...>> {
        using type = std::tuple<buffer<std::remove_const_t<typename Named::value_type::value_type>, B>...>;
    };

    template <std::size_t I>
    void stage_field(R const& host) {
        auto view = as_view(std::get<I>(host.entries).value);
        using value_type = std::remove_const_t<typename decltype(view)::value_type>;
        auto& storage = std::get<I>(storage_);
        storage.resize(view.size());
        std::get<I>(uploaders_)(storage.data(), view.data, view.size() * sizeof(value_type));
        auto& staged = std::get<I>(staged_.entries).value;
        staged.data = storage.data();
        staged.batch = view.batch;
        staged.layout = view.layout;
    }

    template <class Staged>
    struct uploaders_of {
        using type = std::tuple<>;
    };
    template <class... Named>
    requires(!std::is_same_v<type, R>) struct uploaders_of<record<Named...>> {
        using type = std::tuple<typename std::conditional_t<true, B, Named>::uploader...>;
    };

    typename storage_of<type>::type storage_;
    typename uploaders_of<type>::type uploaders_;
    type staged_;
};

}  // namespace est::detail
