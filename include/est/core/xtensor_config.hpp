// Included before any other xtensor header. xtensor 0.24.3 guards one specialisation of
// detail::xtype_for_shape with `__cplusplus == 201703L`; under C++20 an xt::eval of a
// dynamic-rank expression then silently becomes a rank-4 tensor with a garbage shape.
#pragma once

#include <xtensor/xexpression_traits.hpp>
#include <xtensor/xstorage.hpp>

#if defined(__GNUC__) && (__cplusplus > 201703L)
namespace xt::detail {
template <template <class, std::size_t, class, bool> class S, class X, std::size_t N, class A, bool Init>
struct xtype_for_shape<S<X, N, A, Init>> {
    template <class T, layout_type L>
    using type = xarray<T, L>;
};
}  // namespace xt::detail
#endif
