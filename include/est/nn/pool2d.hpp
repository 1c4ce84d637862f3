// The sliding-window machinery max_pool2d and avg_pool2d share: geometry, a forward pass over
// output positions and a gathering backward pass over input positions (no atomics).
#pragma once

#include <est/core/backend.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/layer.hpp>
#include <est/nn/padding.hpp>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace est::detail {

/// The layer type of a pooling over Pool x Pool windows; `Reduction` is max_reduction or
/// mean_reduction.
template <class Reduction, std::size_t Pool, std::size_t Stride, Padding Pad>
struct pool2d {
    static_assert(Pool > 0 && Stride > 0, "pooling needs a positive window and stride");

    template <Shape In>
    static constexpr bool accepts = [] {
        if constexpr (In::rank != 3)
            return false;
        else
            return window_1d<Pad, In::extents[0], Pool, Stride>::fits &&
                   window_1d<Pad, In::extents[1], Pool, Stride>::fits;
    }();
    template <Shape In>
    using requirement = std::conditional_t<In::rank != 3, requires_rank<3>, requires_spatial_at_least<Pool, Pool>>;
    template <Shape In>
    using output_shape = shape<window_1d<Pad, In::extents[0], Pool, Stride>::output,
                               window_1d<Pad, In::extents[1], Pool, Stride>::output, In::extents[2]>;

    template <Shape In>
    class layer : public parameter_free {
        using rows_geometry = window_1d<Pad, In::extents[0], Pool, Stride>;
        using cols_geometry = window_1d<Pad, In::extents[1], Pool, Stride>;

    public:
        using input_shape = In;
        using output_shape = pool2d::output_shape<In>;
        static constexpr std::size_t height = In::extents[0], width = In::extents[1], channels = In::extents[2];
        static constexpr std::size_t out_height = rows_geometry::output, out_width = cols_geometry::output;
        static constexpr std::size_t macs = out_height * out_width * channels * Pool * Pool;

        template <Mode M>
        batch_view<float const, output_shape> forward(batch_view<float const, In> x, M, step_context const&) {
            output_.resize(x.batch);
            if constexpr (Reduction::keeps_argmax)
                argmax_.resize({x.batch * output_shape::size});
            float const* in = x.data;
            float* out = output_.data();
            std::int32_t* arg = Reduction::keeps_argmax ? argmax_.data() : nullptr;
            host::for_each_index(x.batch * out_height * out_width, [=](std::size_t o) {
                std::size_t b = o / (out_height * out_width);
                std::size_t oh = (o / out_width) % out_height, ow = o % out_width;
                auto [h0, h1] = window(oh, rows_geometry::pad_before, height);
                auto [w0, w1] = window(ow, cols_geometry::pad_before, width);
                for (std::size_t c = 0; c < channels; ++c) {
                    typename Reduction::accumulator acc;
                    for (std::size_t h = h0; h < h1; ++h)
                        for (std::size_t w = w0; w < w1; ++w)
                            acc.add(in[((b * height + h) * width + w) * channels + c], std::int32_t(h * width + w));
                    out[o * channels + c] = acc.result((h1 - h0) * (w1 - w0));
                    if constexpr (Reduction::keeps_argmax)
                        arg[o * channels + c] = acc.position;
                }
            });
            return output_.view();
        }

        batch_view<float, In> backward(batch_view<float const, In> x, batch_view<float, output_shape> dy,
                                       bool need_input_gradient) {
            if (!need_input_gradient)
                return {};
            input_gradient_.resize(x.batch);
            float const* d = dy.data;
            float* dx = input_gradient_.data();
            std::int32_t const* arg = Reduction::keeps_argmax ? argmax_.data() : nullptr;
            host::for_each_index(x.batch * height * width, [=](std::size_t p) {
                std::size_t b = p / (height * width);
                std::size_t h = (p / width) % height, w = p % width;
                auto [oh0, oh1] = covering(h, rows_geometry::pad_before, out_height);
                auto [ow0, ow1] = covering(w, cols_geometry::pad_before, out_width);
                for (std::size_t c = 0; c < channels; ++c) {
                    float sum = 0.0f;
                    for (std::size_t oh = oh0; oh < oh1; ++oh)
                        for (std::size_t ow = ow0; ow < ow1; ++ow) {
                            std::size_t o = ((b * out_height + oh) * out_width + ow) * channels + c;
                            if constexpr (Reduction::keeps_argmax) {
                                if (arg[o] == std::int32_t(h * width + w))
                                    sum += d[o];
                            } else {
                                auto [h0, h1] = window(oh, rows_geometry::pad_before, height);
                                auto [w0, w1] = window(ow, cols_geometry::pad_before, width);
                                sum += d[o] / float((h1 - h0) * (w1 - w0));
                            }
                        }
                    dx[p * channels + c] = sum;
                }
            });
            return input_gradient_.view();
        }

    private:
        /// Input positions [begin, end) of output position `o`, clipped to the input.
        static constexpr std::pair<std::size_t, std::size_t> window(std::size_t o, std::size_t pad,
                                                                    std::size_t extent) {
            std::ptrdiff_t begin = std::ptrdiff_t(o * Stride) - std::ptrdiff_t(pad);
            std::ptrdiff_t end = begin + std::ptrdiff_t(Pool);
            return {std::size_t(std::max<std::ptrdiff_t>(begin, 0)),
                    std::size_t(std::min<std::ptrdiff_t>(end, extent))};
        }
        /// Output positions [begin, end) whose windows contain input position `i`.
        static constexpr std::pair<std::size_t, std::size_t> covering(std::size_t i, std::size_t pad,
                                                                      std::size_t outputs) {
            std::ptrdiff_t shifted = std::ptrdiff_t(i + pad);
            std::ptrdiff_t first = shifted - std::ptrdiff_t(Pool) + 1;
            std::size_t begin =
                first <= 0 ? 0 : std::size_t((first + std::ptrdiff_t(Stride) - 1) / std::ptrdiff_t(Stride));
            std::size_t end = std::min(outputs, std::size_t(shifted) / Stride + 1);
            return {begin, std::max(begin, end)};
        }

        batch_tensor<float, output_shape> output_;
        batch_tensor<float, In> input_gradient_;
        xt::xtensor<std::int32_t, 1> argmax_;
    };
};

/// Maximum of a window; remembers where it was for the backward pass (first one on ties).
struct max_reduction {
    static constexpr bool keeps_argmax = true;
    struct accumulator {
        float best = -std::numeric_limits<float>::infinity();
        std::int32_t position = -1;
        void add(float v, std::int32_t at) {
            if (v > best || position < 0)
                best = v, position = at;
        }
        float result(std::size_t) const { return best; }
    };
};

/// Mean over the part of a window inside the input (TensorFlow's `same` average pooling).
struct mean_reduction {
    static constexpr bool keeps_argmax = false;
    struct accumulator {
        float sum = 0.0f;
        std::int32_t position = -1;
        void add(float v, std::int32_t) { sum += v; }
        float result(std::size_t count) const { return sum / float(count); }
    };
};

}  // namespace est::detail
