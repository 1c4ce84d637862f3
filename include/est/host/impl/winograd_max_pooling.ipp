// Definitions of est/host/winograd_max_pooling.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/impl/winograd_kernels.ipp>
#include <est/host/winograd_max_pooling.hpp>

namespace est::onednn {

EST_DECL void winograd_max_pooling::prepare(float const* weights, std::size_t slots) {
    namespace w = winograd_detail;
    std::size_t const tiles = dims_.tiles();
    transformed_weights_.resize(w::points * dims_.channels * dims_.out_channels);
    est::detail::with_widest_vectors([&](auto lanes) {
        w::transform_weights<decltype(lanes)::value>(weights, dims_.channels, dims_.out_channels,
                                                     transformed_weights_.data());
    });
    std::size_t const padded = (dims_.height + 4) * (dims_.width + 4) * dims_.channels;
    transformed_inputs_.resize(slots * (w::points * tiles * dims_.channels + padded));
    products_.resize(slots * w::points * tiles * dims_.out_channels);
}

EST_DECL void winograd_max_pooling::forward_images(float const* x, std::size_t first, std::size_t last,
                                                   std::size_t block, float const* bias, float* y, std::size_t slot) {
    namespace w = winograd_detail;
    std::size_t const tiles = dims_.tiles();
    std::size_t const inputs_size = w::points * tiles * dims_.channels,
                      padded_size = (dims_.height + 4) * (dims_.width + 4) * dims_.channels,
                      products_size = w::points * tiles * dims_.out_channels;
    float* v = transformed_inputs_.data() + slot * (inputs_size + padded_size);
    float* padded = v + inputs_size;
    float* m = products_.data() + slot * products_size;
    std::size_t const image = dims_.height * dims_.width * dims_.channels, pooled = tiles * dims_.out_channels;
    est::detail::with_widest_vectors([&](auto lanes) {
        constexpr std::size_t L = decltype(lanes)::value;
        for (std::size_t n = first; n < last; ++n) {
            w::pad_image(dims_, x + n * image, block, padded);
            w::transform_inputs<L>(dims_, padded, v);
            w::products<L>(dims_, v, transformed_weights_.data(), m);
            w::pool_outputs<L>(dims_, m, bias, y + n * pooled);
        }
    });
}

}  // namespace est::onednn
