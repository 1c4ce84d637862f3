// A trained model frozen for inference, as torch.jit.freeze and TensorFlow's frozen graphs are:
// `est::frozen<Net> served(trained)` owns a snapshot of the model's parameters that nothing can
// write, so its layers may keep them in the layouts their back end reads fastest (est::host: a dense
// layer's kernel in the blocked layout of oneDNN's matmul, reordered once for each batch size). It
// runs inference only (est::eval, est::predict) and returns the prediction, not a model_output: no
// loss, optimizer or hook reaches its parameters. The model it was frozen from stays as it was.
#pragma once

#include <est/core/error.hpp>
#include <est/core/mode.hpp>
#include <est/core/tensor.hpp>
#include <est/nn/sequential.hpp>

#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace est {

/// The mistake of running a frozen model in est::train mode.
template <class GivenMode>
struct frozen_model_in_training {
    static_assert(detail::always_false<GivenMode>,
                  "est::frozen: a frozen model runs inference only (est::eval, est::predict); train the model it "
                  "was frozen from and freeze it again; frozen_model_in_training<mode> names the mode given");
    static constexpr bool reported = true;
};

/// An inference copy of an est::sequential model (Net), its parameters fixed at construction.
template <class Net>
class frozen {
public:
    using model_type = Net;
    using backend_type = typename Net::backend_type;
    using memory_space = typename Net::memory_space;
    using input_shape_type = typename Net::input_shape_type;
    using output_shape_type = typename Net::output_shape_type;

    /// A snapshot of every parameter of `trained` (weights, biases and state such as batch_norm's
    /// moving statistics), canonical values in, so that any stored layout is rebuilt here.
    explicit frozen(Net const& trained) : net_(std::make_unique<Net>()) {
        for (auto const& p : trained.parameters()) net_->write(p, trained.read(p));
        net_->freeze();
    }
    /// Movable (a model stays where it was built: the frozen one is held by pointer), not copyable.
    frozen(frozen&&) noexcept = default;
    frozen& operator=(frozen&&) noexcept = default;

    /// The model's output for a batch of features (`served(features["image"_f], est::predict)`), in
    /// the canonical layout, in B's memory; valid until the next call.
    template <class Features, Mode M>
    auto operator()(Features const& features, M mode) {
        if constexpr (detail::training<M>) {
            static_assert(frozen_model_in_training<M>::reported);
            return invalid_value{};
        } else {
            auto output = (*net_)(features, mode);
            if constexpr (is_model_output_v<decltype(output)>)
                return output.value;
            else
                return output;  // a mistake in the features, reported where the model was called
        }
    }

    /// The parameters, as the model it was frozen from names them; read(p) gives their values.
    std::span<model_parameter const> parameters() const { return net_->parameters(); }
    model_parameter const& parameter(std::string_view name) const { return net_->parameter(name); }
    std::vector<float> read(model_parameter const& p) const { return net_->read(p); }

private:
    std::unique_ptr<Net> net_;
};

}  // namespace est
