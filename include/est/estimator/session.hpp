// What hooks, scaffolds and listeners may do with a running estimator, independent of its model
// and input types: read and change parameters, look at activations and the input batch, save a
// checkpoint, write summaries.
#pragma once

#include <est/estimator/run_config.hpp>
#include <est/io/event_writer.hpp>
#include <est/nn/model_description.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

namespace est {

/// A batch of images from the current input, height x width x channels per example, row-major.
struct image_batch {
    std::size_t count = 0, height = 0, width = 0, channels = 0;
    std::span<float const> values;
};

/// The estimator as hooks see it. Valid from `begin` to `end` of a run.
class session {
public:
    using parameter_visitor = std::function<void(std::string_view name, std::span<float> values)>;
    using tensor_visitor = std::function<void(std::string_view name, std::span<float const> values)>;
    using image_visitor = std::function<void(std::string_view feature, image_batch const& images)>;

    virtual ~session() = default;
    virtual std::uint64_t global_step() const = 0;
    virtual run_config const& config() const = 0;
    /// The model's layers, output shapes, parameters and MACs (sequential::description()).
    virtual est::model_description model_description() const = 0;
    /// Every parameter as "<layer>/<parameter>", e.g. "1_dense/kernel", as a host copy in the
    /// canonical layout (a kernel is (window, window, channels, filters) or (inputs, units)
    /// row-major); values the visitor changes are written back into the model.
    virtual void for_each_parameter(parameter_visitor const& visit) = 0;
    /// Every layer's output of the last forward pass as "<layer>/output" (the whole batch, a
    /// canonical host copy).
    virtual void for_each_activation(tensor_visitor const& visit) = 0;
    /// Every feature of the current batch that holds images (rank 3, 1, 3 or 4 channels).
    virtual void for_each_input_image(image_visitor const& visit) = 0;
    /// Writes a checkpoint of the current global step (if it is not saved yet) and returns its path.
    virtual std::filesystem::path save_checkpoint() = 0;
    /// The TensorBoard event writer of the training run (model_dir), opened on first use.
    virtual io::event_writer& train_summaries() = 0;
};

}  // namespace est
