// Definitions of est/host/winograd_convolution.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/impl/winograd_kernels.ipp>
#include <est/host/vector_width.hpp>
#include <est/host/winograd_convolution.hpp>

namespace est::onednn {

EST_DECL bool winograd_convolution::runs_on_this_cpu() {
    static bool const runs = est::detail::vector_kernels_run("EST_WINOGRAD");
    return runs;
}

EST_DECL void winograd_convolution::prepare(float const* weights, std::size_t slots, bool backward) {
    namespace w = winograd_detail;
    std::size_t const channels = dims_.channels, filters = dims_.out_channels;
    transformed_weights_.resize(weights_floats());
    if (backward) {
        turned_weights_.resize(25 * channels * filters);
        w::rotate_weights(weights, channels, filters, turned_weights_.data());
        output_gradients_.resize(slots * points * dims_.tiles() * filters);
        weights_products_.resize(slots * weights_floats());
        bias_sums_.resize(slots * filters);
    }
    est::detail::with_widest_vectors([&](auto lanes) {
        constexpr std::size_t L = decltype(lanes)::value;
        if (backward)
            w::transform_weights<L>(turned_weights_.data(), filters, channels, transformed_weights_.data());
        else
            w::transform_weights<L>(weights, channels, filters, transformed_weights_.data());
    });
    padded_.resize(slots * padded_floats());
    inputs_.resize(slots * transformed_floats());
    products_.resize(slots * transformed_floats());
}

EST_DECL void winograd_convolution::forward_images(float const* x, std::size_t first, std::size_t last,
                                                   std::size_t block, float const* bias, float* y, std::size_t slot) {
    namespace w = winograd_detail;
    std::size_t const channels = dims_.channels, filters = dims_.out_channels;
    float* padded = padded_.data() + slot * padded_floats();
    float* v = inputs_.data() + slot * transformed_floats();
    float* m = products_.data() + slot * transformed_floats();
    std::size_t const image = dims_.height * dims_.width * channels, output = dims_.height * dims_.width * filters;
    est::detail::with_widest_vectors([&](auto lanes) {
        constexpr std::size_t L = decltype(lanes)::value;
        for (std::size_t n = first; n < last; ++n) {
            w::pad_image(dims_, x + n * image, block, padded);
            w::transform_inputs<L>(dims_, padded, v);
            w::products<L>(dims_, v, transformed_weights_.data(), m);
            w::write_outputs<L>(dims_, m, bias, y + n * output, 0);
        }
    });
}

EST_DECL void winograd_convolution::backward_images(float const* x, float const* dy, image_gradients const* by_image,
                                                    std::size_t first, std::size_t last, std::size_t block, float* dx,
                                                    std::size_t slot) {
    namespace w = winograd_detail;
    std::size_t const tiles = dims_.tiles(), channels = dims_.channels, filters = dims_.out_channels;
    // The input gradient is this convolution's geometry with channels and filters swapped, on dy.
    winograd_dims const data{dims_.height, dims_.width, filters, channels, post_op::none};
    float* padded = padded_.data() + slot * padded_floats();
    float* v = inputs_.data() + slot * transformed_floats();
    float* m = products_.data() + slot * transformed_floats();
    float* r = output_gradients_.data() + slot * points * tiles * filters;
    float* weights_sums = weights_products_.data() + slot * weights_floats();
    float* bias_sums = bias_sums_.data() + slot * filters;
    std::fill(bias_sums, bias_sums + filters, 0.0f);
    if (first == last)  // no image sets the sums (an empty batch)
        std::fill(weights_sums, weights_sums + weights_floats(), 0.0f);
    std::size_t const image = dims_.height * dims_.width * channels, output = dims_.height * dims_.width * filters;
    est::detail::with_widest_vectors([&](auto lanes) {
        constexpr std::size_t L = decltype(lanes)::value;
        for (std::size_t n = first; n < last; ++n) {
            float const* image_dy = nullptr;
            if (dy) {
                image_dy = dy + n * output;
            } else {
                float* image = gradient_images_.data() + slot * output;
                by_image->write(n, image);
                image_dy = image;
            }
            // The weights' gradient: sum over the tiles of (B^T d B) * (A dY A^T), 36 products.
            w::pad_image(dims_, x + n * image, block, padded);
            w::transform_inputs<L>(dims_, padded, v);
            w::transform_output_gradients<L>(dims_, image_dy, r);
            w::weights_products<L>(dims_, v, r, weights_sums, n != first);
            for (std::size_t q = 0; q < dims_.height * dims_.width; ++q)
                for (std::size_t o = 0; o < filters; ++o) bias_sums[o] += image_dy[q * filters + o];
            if (!dx)
                continue;
            w::pad_image(data, image_dy, 0, padded);
            w::transform_inputs<L>(data, padded, v);
            w::products<L>(data, v, transformed_weights_.data(), m);
            w::write_outputs<L>(data, m, nullptr, dx + n * image, block);
        }
    });
}

EST_DECL void winograd_convolution::finish_backward(std::size_t slots, float* weights_gradient, float* bias_gradient) {
    std::size_t const filters = dims_.out_channels;
    float* sums = weights_products_.data();
    for (std::size_t slot = 1; slot < slots; ++slot) {
        float const* more = weights_products_.data() + slot * weights_floats();
        for (std::size_t i = 0; i < weights_floats(); ++i) sums[i] += more[i];
    }
    est::detail::with_widest_vectors([&](auto lanes) {
        winograd_detail::weights_gradient<decltype(lanes)::value>(sums, dims_.channels, filters, weights_gradient);
    });
    std::fill(bias_gradient, bias_gradient + filters, 0.0f);
    for (std::size_t slot = 0; slot < slots; ++slot)
        for (std::size_t o = 0; o < filters; ++o) bias_gradient[o] += bias_sums_.data()[slot * filters + o];
}

}  // namespace est::onednn
