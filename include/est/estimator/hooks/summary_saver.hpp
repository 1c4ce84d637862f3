// hooks::summary_saver: TensorBoard summaries of training every N steps and at the first step of
// each train() call, as TensorFlow's SummarySaverHook writes one at the first step of each
// session: the loss and learning rate, images of the input batch (PNG) and histograms of every
// parameter and activation. The estimator runs one every run_config::save_summary_steps. The first
// step so sizes the summaries' buffers, and no later step allocates for them.
#pragma once

#include <est/core/config.hpp>
#include <est/estimator/hook.hpp>
#include <est/io/png.hpp>

#include <cstdint>
#include <string>
#include <vector>
#include <utility>

namespace est::hooks {

/// The settings of hooks::summary_saver.
struct summary_saver_options {
    std::uint64_t every_steps = 100;
    bool scalars = true;
    std::size_t max_images = 3;  ///< input images per feature; 0: none
    bool histograms = true;      ///< of parameters and activations
};

class summary_saver {
public:
    using options = summary_saver_options;

    summary_saver() = default;
    explicit summary_saver(summary_saver_options options) : options_(std::move(options)) {}

    void begin(run_context& context) { first_step_ = context.mode == mode_key::train; }
    EST_DECL void after_run(run_context& context, run_values const& values);

private:
    summary_saver_options options_;
    bool first_step_ = false;  ///< the next step is the first of a train() call
    // Kept from one summary to the next, so that a summary allocates nothing after the first.
    io::png_encoder png_;
    std::vector<std::uint8_t> pixels_;
    std::string tag_;

    /// Maps an image's range [min, max] onto 0..255 in pixels_, as TensorBoard's image summaries of
    /// floats do.
    EST_DECL void to_bytes(std::span<float const> values);
};

}  // namespace est::hooks

#if defined(EST_DEFINITIONS)
#include <est/estimator/hooks/impl/summary_saver.ipp>
#endif
