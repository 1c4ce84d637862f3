// A model's parameters as layers declare them and back ends store them: how many values, whether
// they train (and take weight decay), how they start, and, where a back end keeps them in a layout
// of its own (oneDNN's blocked convolution weights), how to convert them to and from est's canonical
// row-major layout, which checkpoints, hooks and warm starts see.
#pragma once

#include <est/core/random.hpp>

#include <cmath>
#include <cstddef>
#include <span>
#include <string_view>

namespace est {

/// What a parameter is to optimizers and checkpoints.
enum class parameter_kind {
    weights,    ///< trainable, with L2 weight decay where the optimizer has it (kernels)
    trainable,  ///< trainable without weight decay (biases, normalisation scales and offsets)
    state,      ///< not trained, but saved and restored (moving statistics)
};

/// How a parameter's canonical values start.
struct initializer {
    enum class kind { constant, glorot_uniform } how = kind::constant;
    float value = 0.0f;                   ///< for constant
    std::size_t fan_in = 0, fan_out = 0;  ///< for glorot_uniform
};

/// Fills `values` (canonical order) as `init` says; Glorot uniform (TensorFlow's default kernel
/// initialiser) draws from `engine`.
inline void initial_values(initializer const& init, std::span<float> values, random_engine& engine) {
    if (init.how == initializer::kind::glorot_uniform) {
        float limit = std::sqrt(6.0f / static_cast<float>(init.fan_in + init.fan_out));
        for (float& v : values) v = engine.uniform(-limit, limit);
    } else {
        for (float& v : values) v = init.value;
    }
}

/// The conversion between the layout a back end stores a parameter in and the canonical row-major
/// one; both pointers are in the back end's memory.
class parameter_layout {
public:
    virtual ~parameter_layout() = default;
    /// Values the parameter takes in storage (at least its canonical size: blocked layouts pad).
    virtual std::size_t stored_size() const = 0;
    virtual void to_canonical(float const* stored, float* canonical) const = 0;
    virtual void from_canonical(float const* canonical, float* stored) const = 0;
};

/// A parameter as a layer declares it.
struct parameter_spec {
    std::string_view name;  ///< "kernel", "bias", "gamma", "moving_mean", ...
    std::size_t size = 0;   ///< canonical values
    parameter_kind kind = parameter_kind::trainable;
    initializer initial = {};
    parameter_layout const* layout = nullptr;  ///< null where it is stored canonically

    std::size_t stored_size() const { return layout ? layout->stored_size() : size; }
    bool trainable() const { return kind != parameter_kind::state; }
};

/// Where a model's arenas hold a layer's parameter: its values and, if it trains, its gradient.
struct parameter_slot {
    float* value = nullptr;
    float* gradient = nullptr;
};

}  // namespace est
