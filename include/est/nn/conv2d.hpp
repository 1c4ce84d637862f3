// 2-D convolution over NHWC input as im2col + GEMM, with bias and activation fused after it.
// The batch goes through in blocks of images whose column matrix fits in the cache (a few MiB):
// the columns are written and read while hot, and rebuilt for the backward pass rather than kept
// (a whole batch's columns are 40 MiB for the CNN's second layer, written and read from memory
// four times a step). The input gradient gathers (col2im) without atomics, so results do not
// depend on the thread count.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/activation.hpp>
#include <est/nn/affine.hpp>
#include <est/nn/layer.hpp>
#include <est/nn/padding.hpp>

#include <xtensor/xtensor.hpp>

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace est {

/// `conv2d<Filters, Kernel, Padding, Activation, Stride>`: square Kernel x Kernel windows over a
/// (height, width, channels) input.
template <std::size_t Filters, std::size_t Kernel, Padding Pad = valid, Activation Act = linear, std::size_t Stride = 1>
struct conv2d {
    static_assert(Filters > 0 && Kernel > 0 && Stride > 0, "est::conv2d needs positive filters, kernel and stride");
    static constexpr std::string_view kind = "conv2d";

    template <Shape In>
    static constexpr bool accepts = [] {
        if constexpr (In::rank != 3)
            return false;
        else
            return detail::window_1d<Pad, In::extents[0], Kernel, Stride>::fits &&
                   detail::window_1d<Pad, In::extents[1], Kernel, Stride>::fits;
    }();
    template <Shape In>
    using requirement = std::conditional_t<In::rank != 3, requires_rank<3>, requires_spatial_at_least<Kernel, Kernel>>;
    template <Shape In>
    using output_shape = shape<detail::window_1d<Pad, In::extents[0], Kernel, Stride>::output,
                               detail::window_1d<Pad, In::extents[1], Kernel, Stride>::output, Filters>;

    template <Shape In>
    class layer {
        using rows_geometry = detail::window_1d<Pad, In::extents[0], Kernel, Stride>;
        using cols_geometry = detail::window_1d<Pad, In::extents[1], Kernel, Stride>;

    public:
        using input_shape = In;
        using output_shape = conv2d::output_shape<In>;
        static constexpr std::size_t height = In::extents[0], width = In::extents[1], channels = In::extents[2];
        static constexpr std::size_t out_height = rows_geometry::output, out_width = cols_geometry::output;
        static constexpr std::size_t patch = Kernel * Kernel * channels;
        static constexpr std::size_t parameter_count = patch * Filters + Filters;
        static constexpr std::size_t macs = out_height * out_width * patch * Filters;

        void initialize(random_engine& engine) { affine_.initialize(engine, patch, Kernel * Kernel * Filters); }

        template <class F>
        void for_each_parameter(F&& f) {
            affine_.for_each_parameter(f);
        }

        template <Mode M>
        batch_view<float const, output_shape> forward(batch_view<float const, In> x, M, step_context const&) {
            output_.resize(x.batch);
            for (std::size_t first = 0; first < x.batch; first += block_images) {
                std::size_t images = std::min(block_images, x.batch - first);
                affine_.template forward<Act>(columns(x, first, images), images * positions,
                                              output_.data() + first * positions * Filters);
            }
            return output_.view();
        }

        batch_view<float, In> backward(batch_view<float const, In> x, batch_view<float, output_shape> dy,
                                       bool need_input_gradient) {
            affine_.template backward_activation_and_bias<Act>(output_.data(), dy.data, x.batch * positions);
            if (need_input_gradient) {
                input_gradient_.resize(x.batch);
                std::size_t block_rows = std::min(block_images, x.batch) * positions;
                if (column_gradient_.size() < block_rows * patch)  // grows only: no allocation once sized
                    column_gradient_.resize({block_rows, patch});
            }
            for (std::size_t first = 0; first < x.batch; first += block_images) {
                std::size_t images = std::min(block_images, x.batch - first), rows = images * positions;
                float const* dy_block = dy.data + first * positions * Filters;
                affine_.accumulate_kernel_gradient(columns(x, first, images), dy_block, rows, first > 0);
                if (need_input_gradient) {
                    affine_.input_gradient(dy_block, rows, column_gradient_.data());
                    col2im(column_gradient_.data(), input_gradient_.data() + first * In::size, images);
                }
            }
            if (!need_input_gradient)
                return {};
            return input_gradient_.view();
        }

    private:
        static constexpr std::size_t positions = out_height * out_width;  // GEMM rows per image
        /// Images per block: their column matrix takes at most about 4 MiB.
        static constexpr std::size_t block_images =
            std::max<std::size_t>(1, (std::size_t(4) << 20) / (positions * patch * sizeof(float)));
        static constexpr bool identity_columns =
            Kernel == 1 && Stride == 1 && rows_geometry::pad_before == 0 && cols_geometry::pad_before == 0;

        /// The (images * positions, patch) matrix of input windows of images [first, first + images);
        /// the input itself for 1x1 convolutions.
        float const* columns(batch_view<float const, In> x, std::size_t first, std::size_t images) {
            if constexpr (identity_columns) {
                return x.data + first * In::size;
            } else {
                std::size_t block_rows = std::min(block_images, x.batch) * positions;
                if (columns_.size() < block_rows * patch)  // grows only: no allocation once sized
                    columns_.resize({block_rows, patch});
                im2col(x.data + first * In::size, columns_.data(), images);
                return columns_.data();
            }
        }

        static void im2col(float const* x, float* col, std::size_t batch) {
            host::for_each_index(batch * out_height * out_width, [=](std::size_t r) {
                std::size_t b = r / (out_height * out_width);
                std::size_t oh = (r / out_width) % out_height, ow = r % out_width;
                float* dst = col + r * patch;
                for (std::size_t kh = 0; kh < Kernel; ++kh) {
                    std::ptrdiff_t ih = std::ptrdiff_t(oh * Stride + kh) - std::ptrdiff_t(rows_geometry::pad_before);
                    for (std::size_t kw = 0; kw < Kernel; ++kw, dst += channels) {
                        std::ptrdiff_t iw =
                            std::ptrdiff_t(ow * Stride + kw) - std::ptrdiff_t(cols_geometry::pad_before);
                        // Plain loops of a compile-time length: the compiler inlines them, where
                        // fill_n/copy_n of a few floats became library calls.
                        if (ih < 0 || iw < 0 || ih >= std::ptrdiff_t(height) || iw >= std::ptrdiff_t(width)) {
                            for (std::size_t c = 0; c < channels; ++c) dst[c] = 0.0f;
                        } else {
                            float const* src = x + ((b * height + ih) * width + iw) * channels;
                            for (std::size_t c = 0; c < channels; ++c) dst[c] = src[c];
                        }
                    }
                }
            });
        }

        /// dx[b, h, w, c] = sum of the column entries that read input (h, w, c).
        static void col2im(float const* dcol, float* dx, std::size_t batch) {
            host::for_each_index(batch * height * width, [=](std::size_t p) {
                std::size_t b = p / (height * width);
                std::size_t h = (p / width) % height, w = p % width;
                float* out = dx + p * channels;
                std::fill_n(out, channels, 0.0f);
                for (std::size_t kh = 0; kh < Kernel; ++kh) {
                    std::ptrdiff_t ih = std::ptrdiff_t(h + rows_geometry::pad_before) - std::ptrdiff_t(kh);
                    if (ih < 0 || ih % std::ptrdiff_t(Stride))
                        continue;
                    std::size_t oh = std::size_t(ih) / Stride;
                    if (oh >= out_height)
                        continue;
                    for (std::size_t kw = 0; kw < Kernel; ++kw) {
                        std::ptrdiff_t iw = std::ptrdiff_t(w + cols_geometry::pad_before) - std::ptrdiff_t(kw);
                        if (iw < 0 || iw % std::ptrdiff_t(Stride))
                            continue;
                        std::size_t ow = std::size_t(iw) / Stride;
                        if (ow >= out_width)
                            continue;
                        float const* src =
                            dcol + ((b * out_height + oh) * out_width + ow) * patch + (kh * Kernel + kw) * channels;
                        for (std::size_t c = 0; c < channels; ++c) out[c] += src[c];
                    }
                }
            });
        }

        detail::affine_parameters<patch, Filters> affine_;
        xt::xtensor<float, 2> columns_;
        xt::xtensor<float, 2> column_gradient_;
        batch_tensor<float, output_shape> output_;
        batch_tensor<float, In> input_gradient_;
    };
};

}  // namespace est
