// Batch normalisation over the last dimension (channels): batch statistics in TRAIN, moving
// averages in EVAL and PREDICT, with tf.keras.layers.BatchNormalization's defaults. It reads its
// input in the canonical layout; per-channel sums run over rows in order, so results do not depend on
// the number of threads.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/host_device.hpp>
#include <est/core/parameter.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/layer.hpp>

#include <array>
#include <cmath>
#include <string_view>

namespace est {

namespace detail {
/// Mean and inverse deviation of channel c over `rows` rows; the moving averages follow them.
struct batch_statistics {
    float const* x;
    float *mean, *inverse_std, *moving_mean, *moving_variance;
    std::size_t rows, channels;
    float momentum, epsilon;
    EST_HOST_DEVICE void operator()(std::size_t c) const {
        double sum = 0.0, squares = 0.0;
        for (std::size_t r = 0; r < rows; ++r) {
            double v = x[r * channels + c];
            sum += v;
            squares += v * v;
        }
        double m = sum / double(rows);
        double variance = squares / double(rows) - m * m;
        variance = variance > 0.0 ? variance : 0.0;
        mean[c] = float(m);
        inverse_std[c] = float(1.0 / std::sqrt(variance + double(epsilon)));
        moving_mean[c] = momentum * moving_mean[c] + (1.0f - momentum) * float(m);
        moving_variance[c] = momentum * moving_variance[c] + (1.0f - momentum) * float(variance);
    }
};

/// xhat = (x - mean) * inverse_std and y = gamma xhat + beta, with the batch's statistics.
struct batch_normalize {
    float const *x, *mean, *inverse_std, *gamma, *beta;
    float *xhat, *y;
    std::size_t channels;
    EST_HOST_DEVICE void operator()(std::size_t r, std::size_t c) const {
        std::size_t i = r * channels + c;
        xhat[i] = (x[i] - mean[c]) * inverse_std[c];
        y[i] = gamma[c] * xhat[i] + beta[c];
    }
};

/// y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta.
struct moving_normalize {
    float const *x, *moving_mean, *moving_variance, *gamma, *beta;
    float* y;
    std::size_t channels;
    float epsilon;
    EST_HOST_DEVICE void operator()(std::size_t r, std::size_t c) const {
        std::size_t i = r * channels + c;
        y[i] = gamma[c] * (x[i] - moving_mean[c]) / std::sqrt(moving_variance[c] + epsilon) + beta[c];
    }
};

/// d(gamma)[c] = sum of dy xhat, d(beta)[c] = sum of dy, over the rows in order.
struct batch_norm_parameter_gradients {
    float const *dy, *xhat;
    float *dgamma, *dbeta;
    std::size_t rows, channels;
    EST_HOST_DEVICE void operator()(std::size_t c) const {
        float sg = 0.0f, sb = 0.0f;
        for (std::size_t r = 0; r < rows; ++r) {
            sg += dy[r * channels + c] * xhat[r * channels + c];
            sb += dy[r * channels + c];
        }
        dgamma[c] = sg;
        dbeta[c] = sb;
    }
};

/// dx = gamma inverse_std / n (n dy - d(beta) - xhat d(gamma)).
struct batch_norm_input_gradient {
    float const *dy, *xhat, *gamma, *inverse_std, *dgamma, *dbeta;
    float* dx;
    std::size_t channels;
    float n;
    EST_HOST_DEVICE void operator()(std::size_t r, std::size_t c) const {
        std::size_t i = r * channels + c;
        dx[i] = gamma[c] * inverse_std[c] / n * (n * dy[i] - dbeta[c] - xhat[i] * dgamma[c]);
    }
};
}  // namespace detail

/// `batch_norm<Momentum = 0.99f, Epsilon = 0.001f>`; learns gamma and beta per channel.
template <float Momentum = 0.99f, float Epsilon = 0.001f>
struct batch_norm : detail::shape_preserving {
    static_assert(Momentum >= 0.0f && Momentum <= 1.0f, "est::batch_norm momentum must be in [0, 1]");
    static_assert(Epsilon > 0.0f, "est::batch_norm epsilon must be positive");
    static constexpr std::string_view kind = "batch_norm";

    template <Shape In, class B>
    class layer {
    public:
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t channels = In::extents[In::rank - 1];
        static constexpr std::size_t parameter_count = 4 * channels;  // gamma, beta, moving mean and variance
        static constexpr std::size_t macs = 2 * In::size;

        static std::array<parameter_spec, 4> parameters() {
            return {{{"gamma", channels, parameter_kind::trainable, {initializer::kind::constant, 1.0f}},
                     {"beta", channels, parameter_kind::trainable},
                     {"moving_mean", channels, parameter_kind::state},
                     {"moving_variance", channels, parameter_kind::state, {initializer::kind::constant, 1.0f}}}};
        }
        void bind(std::array<parameter_slot, 4> const& slots) {
            gamma_ = slots[0], beta_ = slots[1], moving_mean_ = slots[2], moving_variance_ = slots[3];
        }

        template <Mode M>
        backend_view<float const, In, B> forward(backend_view<float const, In, B> x, M, step_context const&) {
            x = input_converter_.convert(x, layout::canonical);
            std::size_t rows = x.size() / channels;
            output_.resize(x.size());
            if constexpr (detail::training<M>) {
                mean_.resize(channels);
                inverse_std_.resize(channels);
                normalized_.resize(x.size());
                B::for_each(channels,
                            detail::batch_statistics{x.data, mean_.data(), inverse_std_.data(), moving_mean_.value,
                                                     moving_variance_.value, rows, channels, Momentum, Epsilon},
                            1);
                B::for_each_2d(rows, channels,
                               detail::batch_normalize{x.data, mean_.data(), inverse_std_.data(), gamma_.value,
                                                       beta_.value, normalized_.data(), output_.data(), channels});
            } else {
                B::for_each_2d(rows, channels,
                               detail::moving_normalize{x.data, moving_mean_.value, moving_variance_.value,
                                                        gamma_.value, beta_.value, output_.data(), channels, Epsilon});
            }
            return {output_.data(), x.batch};
        }

        backend_view<float, In, B> backward(backend_view<float const, In, B> x, backend_view<float, In, B> dy,
                                            bool need_input_gradient) {
            std::size_t rows = dy.size() / channels;
            B::for_each(channels,
                        detail::batch_norm_parameter_gradients{dy.data, normalized_.data(), gamma_.gradient,
                                                               beta_.gradient, rows, channels},
                        1);
            if (!need_input_gradient)
                return {};
            input_gradient_.resize(dy.size());
            B::for_each_2d(rows, channels,
                           detail::batch_norm_input_gradient{dy.data, normalized_.data(), gamma_.value,
                                                             inverse_std_.data(), gamma_.gradient, beta_.gradient,
                                                             input_gradient_.data(), channels, float(rows)});
            return output_converter_.convert(backend_view<float, In, B>{input_gradient_.data(), x.batch}, x.layout);
        }

    private:
        parameter_slot gamma_, beta_, moving_mean_, moving_variance_;
        buffer<float, B> output_, normalized_, input_gradient_, mean_, inverse_std_;
        typename B::template layout_converter<In> input_converter_, output_converter_;
    };
};

}  // namespace est
