// Batch normalisation over the last dimension (channels): batch statistics in TRAIN, moving
// averages in EVAL and PREDICT, with tf.keras.layers.BatchNormalization's defaults.
#pragma once

#include <est/core/backend.hpp>
#include <est/core/tensor.hpp>
#include <est/estimator/mode.hpp>
#include <est/nn/layer.hpp>

#include <xtensor/xtensor.hpp>

#include <cmath>
#include <string_view>

namespace est {

/// `batch_norm<Momentum = 0.99f, Epsilon = 0.001f>`; learns gamma and beta per channel.
template <float Momentum = 0.99f, float Epsilon = 0.001f>
struct batch_norm : detail::shape_preserving {
    static_assert(Momentum >= 0.0f && Momentum <= 1.0f, "est::batch_norm momentum must be in [0, 1]");
    static_assert(Epsilon > 0.0f, "est::batch_norm epsilon must be positive");
    static constexpr std::string_view kind = "batch_norm";

    template <Shape In>
    class layer {
    public:
        using input_shape = In;
        using output_shape = In;
        static constexpr std::size_t channels = In::extents[In::rank - 1];
        static constexpr std::size_t parameter_count = 4 * channels;  // gamma, beta, moving mean and variance
        static constexpr std::size_t macs = 2 * In::size;

        layer()
            : gamma_(filled_tensor<1>({channels})),
              beta_(gamma_),
              moving_mean_(gamma_),
              moving_variance_(gamma_),
              gamma_gradient_(gamma_),
              beta_gradient_(gamma_),
              mean_(gamma_),
              inverse_std_(gamma_) {
            initialize_state();
        }

        void initialize(random_engine&) { initialize_state(); }

        template <class F>
        void for_each_parameter(F&& f) {
            f(parameter_ref{"gamma", span(gamma_), span(gamma_gradient_), true, false});
            f(parameter_ref{"beta", span(beta_), span(beta_gradient_), true, false});
            f(parameter_ref{"moving_mean", span(moving_mean_), {}, false, false});
            f(parameter_ref{"moving_variance", span(moving_variance_), {}, false, false});
        }

        template <Mode M>
        batch_view<float const, In> forward(batch_view<float const, In> x, M, step_context const&) {
            std::size_t rows = x.size() / channels;
            output_.resize(x.batch);
            float const* in = x.data;
            float* out = output_.data();
            float const* gamma = gamma_.data();
            float const* beta = beta_.data();
            if constexpr (M{} == train) {
                normalized_.resize(x.batch);
                float* mean = mean_.data();
                float* inverse_std = inverse_std_.data();
                float* moving_mean = moving_mean_.data();
                float* moving_variance = moving_variance_.data();
                host::for_each_index(channels, [=](std::size_t c) {
                    double sum = 0.0, squares = 0.0;
                    for (std::size_t r = 0; r < rows; ++r) {
                        double v = in[r * channels + c];
                        sum += v;
                        squares += v * v;
                    }
                    double m = sum / double(rows);
                    double variance = std::max(squares / double(rows) - m * m, 0.0);
                    mean[c] = float(m);
                    inverse_std[c] = float(1.0 / std::sqrt(variance + double(Epsilon)));
                    moving_mean[c] = Momentum * moving_mean[c] + (1.0f - Momentum) * float(m);
                    moving_variance[c] = Momentum * moving_variance[c] + (1.0f - Momentum) * float(variance);
                });
                float* xhat = normalized_.data();
                host::for_each_index(x.size(), [=](std::size_t i) {
                    std::size_t c = i % channels;
                    xhat[i] = (in[i] - mean[c]) * inverse_std[c];
                    out[i] = gamma[c] * xhat[i] + beta[c];
                });
            } else {
                float const* moving_mean = moving_mean_.data();
                float const* moving_variance = moving_variance_.data();
                host::for_each_index(x.size(), [=](std::size_t i) {
                    std::size_t c = i % channels;
                    out[i] = gamma[c] * (in[i] - moving_mean[c]) / std::sqrt(moving_variance[c] + Epsilon) + beta[c];
                });
            }
            return output_.view();
        }

        batch_view<float, In> backward(batch_view<float const, In> x, batch_view<float, In> dy,
                                       bool need_input_gradient) {
            std::size_t rows = x.size() / channels;
            float const* d = dy.data;
            float const* xhat = normalized_.data();
            float* dgamma = gamma_gradient_.data();
            float* dbeta = beta_gradient_.data();
            host::for_each_index(channels, [=](std::size_t c) {
                float sg = 0.0f, sb = 0.0f;
                for (std::size_t r = 0; r < rows; ++r) {
                    sg += d[r * channels + c] * xhat[r * channels + c];
                    sb += d[r * channels + c];
                }
                dgamma[c] = sg;
                dbeta[c] = sb;
            });
            if (!need_input_gradient)
                return {};
            input_gradient_.resize(x.batch);
            float* dx = input_gradient_.data();
            float const* gamma = gamma_.data();
            float const* inverse_std = inverse_std_.data();
            float n = float(rows);
            host::for_each_index(x.size(), [=](std::size_t i) {
                std::size_t c = i % channels;
                dx[i] = gamma[c] * inverse_std[c] / n * (n * d[i] - dbeta[c] - xhat[i] * dgamma[c]);
            });
            return input_gradient_.view();
        }

    private:
        static std::span<float> span(xt::xtensor<float, 1>& t) { return {t.data(), t.size()}; }
        void initialize_state() {
            gamma_.fill(1.0f);
            beta_.fill(0.0f);
            moving_mean_.fill(0.0f);
            moving_variance_.fill(1.0f);
        }

        xt::xtensor<float, 1> gamma_, beta_, moving_mean_, moving_variance_;
        xt::xtensor<float, 1> gamma_gradient_, beta_gradient_, mean_, inverse_std_;
        batch_tensor<float, In> output_, normalized_, input_gradient_;
    };
};

}  // namespace est
