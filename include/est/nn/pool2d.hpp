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
#include <bit>
#include <cstddef>
#include <cstdint>
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
            // Channels innermost, so each window position is one vectorizable pass over channels.
            host::for_each_index(x.batch * out_height * out_width, [=](std::size_t o) {
                std::size_t b = o / (out_height * out_width);
                std::size_t oh = (o / out_width) % out_height, ow = o % out_width;
                auto [h0, h1] = window(oh, rows_geometry::pad_before, height);
                auto [w0, w1] = window(ow, cols_geometry::pad_before, width);
                float* result = out + o * channels;
                std::int32_t* where = Reduction::keeps_argmax ? arg + o * channels : nullptr;
                for (std::size_t h = h0; h < h1; ++h)
                    for (std::size_t w = w0; w < w1; ++w) {
                        float const* v = in + ((b * height + h) * width + w) * channels;
                        auto position = std::int32_t(h * width + w);
                        bool first = h == h0 && w == w0;
                        for (std::size_t c = 0; c < channels; ++c) {
                            if constexpr (Reduction::keeps_argmax) {
                                // The first maximum wins ties, as the row-major scan finds it.
                                bool better = first || v[c] > result[c];
                                result[c] = better ? v[c] : result[c];
                                where[c] = better ? position : where[c];
                            } else {
                                result[c] = first ? v[c] : result[c] + v[c];
                            }
                        }
                    }
                if constexpr (!Reduction::keeps_argmax) {
                    float inverse_count = 1.0f / float((h1 - h0) * (w1 - w0));
                    for (std::size_t c = 0; c < channels; ++c) result[c] *= inverse_count;
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
                auto position = std::int32_t(h * width + w);
                float* sum = dx + p * channels;
                std::fill_n(sum, channels, 0.0f);
                for (std::size_t oh = oh0; oh < oh1; ++oh)
                    for (std::size_t ow = ow0; ow < ow1; ++ow) {
                        std::size_t o = ((b * out_height + oh) * out_width + ow) * channels;
                        if constexpr (Reduction::keeps_argmax) {
                            // The gradient's bits masked by "this input was the maximum": integer
                            // operations that vectorize, where a select between floats did not.
                            for (std::size_t c = 0; c < channels; ++c)
                                sum[c] += std::bit_cast<float>(std::bit_cast<std::int32_t>(d[o + c]) &
                                                               -std::int32_t(arg[o + c] == position));
                        } else {
                            auto [h0, h1] = window(oh, rows_geometry::pad_before, height);
                            auto [w0, w1] = window(ow, cols_geometry::pad_before, width);
                            float inverse_count = 1.0f / float((h1 - h0) * (w1 - w0));
                            for (std::size_t c = 0; c < channels; ++c) sum[c] += d[o + c] * inverse_count;
                        }
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

/// Maximum of a window; remembers where it was for the backward pass (the first one on ties).
struct max_reduction {
    static constexpr bool keeps_argmax = true;
};

/// Mean over the part of a window inside the input (TensorFlow's `same` average pooling).
struct mean_reduction {
    static constexpr bool keeps_argmax = false;
};

}  // namespace est::detail
