// 2-D convolution on the host: oneDNN's convolution primitives (forward with bias and the fused
// post-op, backward data, backward weights and bias), with the weights stored in the layout oneDNN
// prefers and activations in the layout its kernels prefer, reordered only at the edges. Every
// buffer (output, gradients, reorder targets, scratchpad) belongs to est and is sized on the first
// batch of a size; primitives are created once per batch size and kept.
//
// Layouts, chosen by measurement (benchmarks/README.md): a convolution with at least 8 input
// channels lets oneDNN choose (channel-blocked on AVX2 and AVX-512 machines); one with fewer (a
// first layer on images) keeps NHWC input and output, as oneDNN's backward-weights kernel for a
// blocked output of such a layer ran 3 times slower here.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/config.hpp>
#include <est/core/layout.hpp>
#include <est/core/parameter.hpp>
#include <est/core/primitive.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/host/onednn.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace est {
struct host;
}

namespace est::onednn {

/// A buffer in the host back end's memory.
template <class T>
using host_buffer = est::buffer<T, est::host>;

/// The oneDNN element-wise algorithm of a fused post-op.
EST_DECL dnnl_alg_kind_t algorithm_of(post_op op);

/// A parameter stored in a oneDNN layout, converted by reorders (created on first use: conversions
/// happen for checkpoints, hooks and initialisation, not in training steps).
class stored_parameter final : public parameter_layout {
public:
    stored_parameter() = default;
    stored_parameter(dnnl_memory_desc_t const& canonical, dnnl_memory_desc_t const& stored)
        : canonical_(canonical), stored_(stored) {}

    dnnl_memory_desc_t const& stored_desc() const { return stored_; }
    std::size_t stored_size() const override { return floats(bytes(stored_)); }
    void to_canonical(float const* stored, float* canonical) const override {
        convert(to_canonical_, stored_, canonical_, stored, canonical);
    }
    void from_canonical(float const* canonical, float* stored) const override {
        convert(from_canonical_, canonical_, stored_, canonical, stored);
    }

private:
    EST_DECL static void convert(std::optional<reorder>& r, dnnl_memory_desc_t const& from,
                                 dnnl_memory_desc_t const& to, float const* in, float* out);

    dnnl_memory_desc_t canonical_{}, stored_{};
    mutable std::optional<reorder> to_canonical_, from_canonical_;
};

/// A convolution over `G` (an est::window_geometry) with bias and `Op` fused into the forward pass.
///   forward(x, weights, bias, training) -> y             y in the layout the primitive chose
///   backward(x, dy, weights, weights_gradient, bias_gradient, need_input_gradient) -> dx
///       dy in y's layout (the gradient before Op: the caller applies Op's derivative); dx in x's
///       layout; the weights gradient in the weights' stored layout
///   weights_layout(): how the weights are stored, and their conversion to (window, window,
///       channels, filters) row-major
template <class G, post_op Op>
class convolution {
public:
    using input_shape = shape<G::height, G::width, G::channels>;
    using output_shape = shape<G::out_height, G::out_width, G::out_channels>;

    convolution() {
        // The weights keep one layout for every batch size: the one oneDNN prefers for a batch of 64.
        auto pd = forward_desc(64, weights_any(), dnnl_forward_training);
        weights_ = stored_parameter(canonical_weights(), queried(pd.get(), dnnl_query_weights_md));
    }
    convolution(convolution const&) = delete;
    convolution& operator=(convolution const&) = delete;

    parameter_layout const& weights_layout() const { return weights_; }

    batch_view<float const, output_shape> forward(batch_view<float const, input_shape> x, float const* weights,
                                                  float const* bias, bool training) {
        plan& p = plan_for(x.batch, x.layout, training);
        float const* source = x.data;
        if (p.source_reorder) {
            source_.resize(floats(p.source.bytes()));
            p.source_reorder(x.data, source_.data());
            source = source_.data();
        }
        output_.resize(floats(p.destination.bytes()));
        scratchpad_.resize(p.scratchpad_floats);
        execute<5>(p.forward,
                   {{{DNNL_ARG_SRC, p.source.bind(source)},
                     {DNNL_ARG_WEIGHTS, p.weights.bind(weights)},
                     {DNNL_ARG_BIAS, p.bias.bind(bias)},
                     {DNNL_ARG_DST, p.destination.bind(output_.data())},
                     {DNNL_ARG_SCRATCHPAD, p.scratchpad.bind(scratchpad_.data())}}},
                   "a convolution's forward pass");
        return {output_.data(), x.batch, p.output_layout};
    }

    batch_view<float, input_shape> backward(batch_view<float const, input_shape> x, batch_view<float, output_shape> dy,
                                            float const* weights, float* weights_gradient, float* bias_gradient,
                                            bool need_input_gradient) {
        plan& p = plan_for(x.batch, x.layout, true);
        float const* source = p.source_reorder ? source_.data() : x.data;  // as the forward pass left it
        float* diff_weights = weights_gradient;
        if (p.diff_weights_reorder) {
            diff_weights_.resize(floats(p.diff_weights.bytes()));
            diff_weights = diff_weights_.data();
        }
        execute<5>(p.backward_weights,
                   {{{DNNL_ARG_SRC, p.source.bind(source)},
                     {DNNL_ARG_DIFF_DST, p.destination.bind(dy.data)},
                     {DNNL_ARG_DIFF_WEIGHTS, p.diff_weights.bind(diff_weights)},
                     {DNNL_ARG_DIFF_BIAS, p.bias.bind(bias_gradient)},
                     {DNNL_ARG_SCRATCHPAD, p.scratchpad.bind(scratchpad_.data())}}},
                   "a convolution's backward pass (weights)");
        if (p.diff_weights_reorder)
            p.diff_weights_reorder(diff_weights, weights_gradient);
        if (!need_input_gradient)
            return {};
        float const* backward_weights = weights;
        if (p.weights_reorder) {
            backward_weights_.resize(floats(p.backward_weights_memory.bytes()));
            p.weights_reorder(weights, backward_weights_.data());
            backward_weights = backward_weights_.data();
        }
        input_gradient_.resize(stored_size(x.layout, x.batch, G::height * G::width, G::channels));
        float* diff_source = input_gradient_.data();
        if (p.diff_source_reorder) {
            diff_source_.resize(floats(p.source.bytes()));
            diff_source = diff_source_.data();
        }
        execute<4>(p.backward_data,
                   {{{DNNL_ARG_DIFF_DST, p.destination.bind(dy.data)},
                     {DNNL_ARG_WEIGHTS, p.backward_weights_memory.bind(backward_weights)},
                     {DNNL_ARG_DIFF_SRC, p.source.bind(diff_source)},
                     {DNNL_ARG_SCRATCHPAD, p.scratchpad.bind(scratchpad_.data())}}},
                   "a convolution's backward pass (data)");
        if (p.diff_source_reorder)
            p.diff_source_reorder(diff_source, input_gradient_.data());
        return {input_gradient_.data(), x.batch, x.layout};
    }

private:
    /// Primitives and memory descriptors for one batch size, input layout and mode.
    struct plan {
        std::size_t batch = 0;
        est::layout input_layout = est::layout::canonical;
        bool training = false;
        est::layout output_layout = est::layout::canonical;
        primitive forward, backward_weights, backward_data;
        memory source, weights, bias, destination, scratchpad, diff_weights, backward_weights_memory;
        reorder source_reorder, diff_source_reorder, diff_weights_reorder, weights_reorder;
        std::size_t scratchpad_floats = 0;
    };

    static constexpr bool few_input_channels = G::channels < 8;
    static constexpr std::size_t plans_kept = 4;

    static std::array<dnnl_dim_t, 4> weights_dims() {
        return {dnnl_dim_t(G::out_channels), dnnl_dim_t(G::channels), dnnl_dim_t(G::window), dnnl_dim_t(G::window)};
    }
    static dnnl_memory_desc_t weights_any() { return memory_desc<4>(weights_dims(), dnnl_format_tag_any); }
    /// est's kernel layout: (window, window, channels, filters) row-major, oneDNN's hwio.
    static dnnl_memory_desc_t canonical_weights() { return memory_desc<4>(weights_dims(), dnnl_hwio); }
    static dnnl_memory_desc_t bias_desc() { return memory_desc<1>({dnnl_dim_t(G::out_channels)}, dnnl_a); }
    static dnnl_memory_desc_t source_desc(std::size_t batch) {
        return activation_desc(batch, G::channels, G::height, G::width,
                               few_input_channels ? dnnl_nhwc : dnnl_format_tag_any);
    }
    static dnnl_memory_desc_t destination_desc(std::size_t batch) {
        return activation_desc(batch, G::out_channels, G::out_height, G::out_width,
                               few_input_channels ? dnnl_nhwc : dnnl_format_tag_any);
    }
    static constexpr dnnl_dims_t strides = {dnnl_dim_t(G::stride), dnnl_dim_t(G::stride)};
    static constexpr dnnl_dims_t padding_before = {dnnl_dim_t(G::pad_top), dnnl_dim_t(G::pad_left)};
    static constexpr dnnl_dims_t padding_after = {dnnl_dim_t(G::pad_bottom), dnnl_dim_t(G::pad_right)};
    static std::string name() {
        return "a " + std::to_string(G::window) + "x" + std::to_string(G::window) + " convolution of " +
               std::to_string(G::channels) + " to " + std::to_string(G::out_channels) + " channels";
    }

    static primitive_desc forward_desc(std::size_t batch, dnnl_memory_desc_t const& weights, dnnl_prop_kind_t kind) {
        dnnl_convolution_desc_t d;
        auto source = source_desc(batch), destination = destination_desc(batch), bias = bias_desc();
        check(dnnl_convolution_forward_desc_init(&d, kind, dnnl_convolution_direct, &source, &weights, &bias,
                                                 &destination, strides, padding_before, padding_after),
              name());
        return make_primitive_desc(d, make_attributes(algorithm_of(Op)).get(), name());
    }

    plan& plan_for(std::size_t batch, est::layout input_layout, bool training) {
        for (auto& p : plans_)
            if (p.batch == batch && p.input_layout == input_layout && p.training == training)
                return p;
        if (plans_.size() == plans_kept)
            plans_.erase(plans_.begin());
        plans_.push_back(make_plan(batch, input_layout, training));
        return plans_.back();
    }

    plan make_plan(std::size_t batch, est::layout input_layout, bool training) {
        plan p;
        p.batch = batch;
        p.input_layout = input_layout;
        p.training = training;
        auto fwd =
            forward_desc(batch, weights_.stored_desc(), training ? dnnl_forward_training : dnnl_forward_inference);
        auto source = queried(fwd.get(), dnnl_query_src_md), destination = queried(fwd.get(), dnnl_query_dst_md);
        auto given = activation_desc(batch, G::channels, G::height, G::width, tag_of(input_layout));
        p.source = memory(source);
        p.weights = memory(queried(fwd.get(), dnnl_query_weights_md));
        p.bias = memory(bias_desc());
        p.destination = memory(destination);
        auto output_layout = layout_of(destination);
        if (!output_layout)
            throw error(name() + ": oneDNN chose an output layout est cannot describe");
        p.output_layout = *output_layout;
        if (!same(source, given)) {
            p.source_reorder = reorder(given, source);
            p.diff_source_reorder = reorder(source, given);
        }
        p.forward = make_primitive(fwd.get(), name());
        std::size_t scratchpad = bytes(queried(fwd.get(), dnnl_query_scratchpad_md));
        if (training) {
            auto attr = make_attributes();
            auto any = weights_any(), bias = bias_desc();
            dnnl_convolution_desc_t weights_op, data_op;
            check(
                dnnl_convolution_backward_weights_desc_init(&weights_op, dnnl_convolution_direct, &source, &any, &bias,
                                                            &destination, strides, padding_before, padding_after),
                name());
            check(dnnl_convolution_backward_data_desc_init(&data_op, dnnl_convolution_direct, &source, &any,
                                                           &destination, strides, padding_before, padding_after),
                  name());
            auto bwd_weights = make_primitive_desc(weights_op, attr.get(), name() + " (backward weights)", fwd.get());
            auto bwd_data = make_primitive_desc(data_op, attr.get(), name() + " (backward data)", fwd.get());
            auto diff_weights = queried(bwd_weights.get(), dnnl_query_diff_weights_md);
            auto data_weights = queried(bwd_data.get(), dnnl_query_weights_md);
            if (!same(queried(bwd_weights.get(), dnnl_query_src_md), source) ||
                !same(queried(bwd_weights.get(), dnnl_query_diff_dst_md), destination) ||
                !same(queried(bwd_data.get(), dnnl_query_diff_dst_md), destination) ||
                !same(queried(bwd_data.get(), dnnl_query_diff_src_md), source))
                throw error(name() +
                            ": oneDNN's backward primitives want other activation layouts than its forward one");
            p.diff_weights = memory(diff_weights);
            if (!same(diff_weights, weights_.stored_desc()))
                p.diff_weights_reorder = reorder(diff_weights, weights_.stored_desc());
            p.backward_weights_memory = memory(data_weights);
            if (!same(data_weights, weights_.stored_desc()))
                p.weights_reorder = reorder(weights_.stored_desc(), data_weights);
            p.backward_weights = make_primitive(bwd_weights.get(), name());
            p.backward_data = make_primitive(bwd_data.get(), name());
            scratchpad = std::max({scratchpad, bytes(queried(bwd_weights.get(), dnnl_query_scratchpad_md)),
                                   bytes(queried(bwd_data.get(), dnnl_query_scratchpad_md))});
        }
        p.scratchpad = scratchpad_memory(scratchpad);
        p.scratchpad_floats = floats(scratchpad);
        return p;
    }

    stored_parameter weights_;
    std::vector<plan> plans_;
    host_buffer<float> output_, source_, diff_source_, input_gradient_, diff_weights_, backward_weights_, scratchpad_;
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/convolution.ipp>
#endif
