// Definitions of est/host/convolution.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/convolution.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace est::onednn {

EST_DECL void stored_parameter::convert(std::optional<reorder>& r, dnnl_memory_desc_t const& from,
                                        dnnl_memory_desc_t const& to, float const* in, float* out) {
    if (same(from, to)) {
        std::memcpy(out, in, bytes(from));
        return;
    }
    if (!r)
        r.emplace(from, to);
    (*r)(in, out);
}

EST_DECL convolution_primitives::convolution_primitives(convolution_dims const& dims, bool keep_canonical_weights)
    : dims_(dims),
      strides_{dnnl_dim_t(dims.stride), dnnl_dim_t(dims.stride)},
      padding_before_{dnnl_dim_t(dims.pad_top), dnnl_dim_t(dims.pad_left)},
      padding_after_{dnnl_dim_t(dims.pad_bottom), dnnl_dim_t(dims.pad_right)} {
    // The weights keep one layout for every batch size: the one oneDNN prefers for a batch of 64.
    auto pd = forward_desc(64, weights_any(), dnnl_forward_training);
    if (dims.channels < 8 && reference_kernel_in_training(pd)) {
        choose_layouts_ = false;
        pd = forward_desc(64, weights_any(), dnnl_forward_training);
    }
    weights_ = stored_parameter(
        canonical_weights(), keep_canonical_weights ? canonical_weights() : queried(pd.get(), dnnl_query_weights_md));
    std::size_t canonical = dims.window * dims.window * dims.channels * dims.out_channels;
    if (weights_.stored_size() > canonical) {
        std::vector<float> ones(canonical, 1.0f), stored(weights_.stored_size(), 0.0f);
        weights_.from_canonical(ones.data(), stored.data());
        for (std::size_t i = 0; i < stored.size(); ++i)
            if (stored[i] == 0.0f)
                weights_padding_.push_back(i);
    }
}

EST_DECL std::pair<float const*, est::layout> convolution_primitives::forward(float const* x, std::size_t batch,
                                                                              est::layout input_layout,
                                                                              float const* weights, float const* bias,
                                                                              bool training) {
    plan& p = plan_for(batch, input_layout, training);
    float const* source = x;
    if (p.source_reorder) {
        source_.resize(floats(p.source.bytes()));
        p.source_reorder(x, source_.data());
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
    return {output_.data(), p.output_layout};
}

EST_DECL est::layout convolution_primitives::inference_output_layout(std::size_t batch, est::layout input_layout) {
    return plan_for(batch, input_layout, false).output_layout;
}

EST_DECL float const* convolution_primitives::weights_in(dnnl_format_tag_t tag, float const* stored) {
    auto wanted = memory_desc<4>(weights_dims(), tag);
    if (same(wanted, weights_.stored_desc()))
        return stored;
    if (weights_copy_tag_ != tag) {
        weights_copy_reorder_.emplace(weights_.stored_desc(), wanted);
        weights_copy_tag_ = tag;
    }
    weights_copy_.resize(floats(bytes(wanted)));
    (*weights_copy_reorder_)(stored, weights_copy_.data());
    return weights_copy_.data();
}

EST_DECL float* convolution_primitives::backward(float const* x, std::size_t batch, est::layout input_layout,
                                                 float const* dy, float const* weights, float* weights_gradient,
                                                 float* bias_gradient, bool need_input_gradient) {
    plan& p = plan_for(batch, input_layout, true);
    float const* source = p.source_reorder ? source_.data() : x;  // as the forward pass left it
    scratchpad_.resize(p.scratchpad_floats);
    float* diff_weights = weights_gradient;
    if (p.diff_weights_reorder) {
        diff_weights_.resize(floats(p.diff_weights.bytes()));
        diff_weights = diff_weights_.data();
    }
    execute<5>(p.backward_weights,
               {{{DNNL_ARG_SRC, p.source.bind(source)},
                 {DNNL_ARG_DIFF_DST, p.destination.bind(dy)},
                 {DNNL_ARG_DIFF_WEIGHTS, p.diff_weights.bind(diff_weights)},
                 {DNNL_ARG_DIFF_BIAS, p.bias.bind(bias_gradient)},
                 {DNNL_ARG_SCRATCHPAD, p.scratchpad.bind(scratchpad_.data())}}},
               "a convolution's backward pass (weights)");
    if (p.diff_weights_reorder)
        p.diff_weights_reorder(diff_weights, weights_gradient);  // a reorder writes zero padding
    else
        for (std::size_t i : weights_padding_) weights_gradient[i] = 0.0f;
    if (!need_input_gradient)
        return nullptr;
    float const* backward_weights = weights;
    if (p.weights_reorder) {
        backward_weights_.resize(floats(p.backward_weights_memory.bytes()));
        p.weights_reorder(weights, backward_weights_.data());
        backward_weights = backward_weights_.data();
    }
    float const* data_dy = dy;
    if (p.data_diff_destination_reorder) {
        data_diff_destination_.resize(floats(p.data_diff_destination.bytes()));
        p.data_diff_destination_reorder(dy, data_diff_destination_.data());
        data_dy = data_diff_destination_.data();
    }
    input_gradient_.resize(stored_size(input_layout, batch, dims_.height * dims_.width, dims_.channels));
    float* diff_source = input_gradient_.data();
    if (p.diff_source_reorder) {
        diff_source_.resize(floats(p.data_diff_source.bytes()));
        diff_source = diff_source_.data();
    }
    execute<4>(p.backward_data,
               {{{DNNL_ARG_DIFF_DST, p.data_diff_destination.bind(data_dy)},
                 {DNNL_ARG_WEIGHTS, p.backward_weights_memory.bind(backward_weights)},
                 {DNNL_ARG_DIFF_SRC, p.data_diff_source.bind(diff_source)},
                 {DNNL_ARG_SCRATCHPAD, p.scratchpad.bind(scratchpad_.data())}}},
               "a convolution's backward pass (data)");
    if (p.diff_source_reorder)
        p.diff_source_reorder(diff_source, input_gradient_.data());
    return input_gradient_.data();
}

EST_DECL dnnl_memory_desc_t convolution_primitives::source_desc(std::size_t batch) const {
    return activation_desc(batch, dims_.channels, dims_.height, dims_.width,
                           choose_layouts_ ? dnnl_format_tag_any : dnnl_nhwc);
}

EST_DECL dnnl_memory_desc_t convolution_primitives::destination_desc(std::size_t batch) const {
    return activation_desc(batch, dims_.out_channels, dims_.out_height, dims_.out_width,
                           choose_layouts_ ? dnnl_format_tag_any : dnnl_nhwc);
}

EST_DECL bool convolution_primitives::reference_kernel_in_training(primitive_desc const& forward) const {
    return is_reference(forward) || is_reference(backward_descs(forward).first);
}

EST_DECL bool convolution_primitives::is_reference(primitive_desc const& pd) {
    char const* implementation = nullptr;
    check(dnnl_primitive_desc_query(pd.get(), dnnl_query_impl_info_str, 0, &implementation), "an implementation query");
    return std::string_view(implementation ? implementation : "").starts_with("ref");
}

EST_DECL primitive_desc convolution_primitives::nhwc_backward_data_desc(std::size_t batch) const {
    auto source = activation_desc(batch, dims_.channels, dims_.height, dims_.width, dnnl_nhwc);
    auto destination = activation_desc(batch, dims_.out_channels, dims_.out_height, dims_.out_width, dnnl_nhwc);
    auto weights = weights_any(), bias = bias_desc();
    dnnl_convolution_desc_t forward_op, data_op;
    check(dnnl_convolution_forward_desc_init(&forward_op, dnnl_forward_training, dnnl_convolution_direct, &source,
                                             &weights, &bias, &destination, strides_, padding_before_, padding_after_),
          name());
    check(dnnl_convolution_backward_data_desc_init(&data_op, dnnl_convolution_direct, &source, &weights, &destination,
                                                   strides_, padding_before_, padding_after_),
          name());
    auto attr = make_attributes();
    auto hint = make_primitive_desc(forward_op, attr.get(), name());
    return make_primitive_desc(data_op, attr.get(), name() + " (backward data)", hint.get());
}

EST_DECL std::pair<primitive_desc, primitive_desc> convolution_primitives::backward_descs(
    primitive_desc const& forward) const {
    auto source = queried(forward.get(), dnnl_query_src_md), destination = queried(forward.get(), dnnl_query_dst_md);
    auto any = weights_any(), bias = bias_desc();
    dnnl_convolution_desc_t weights_op, data_op;
    check(dnnl_convolution_backward_weights_desc_init(&weights_op, dnnl_convolution_direct, &source, &any, &bias,
                                                      &destination, strides_, padding_before_, padding_after_),
          name());
    check(dnnl_convolution_backward_data_desc_init(&data_op, dnnl_convolution_direct, &source, &any, &destination,
                                                   strides_, padding_before_, padding_after_),
          name());
    auto attr = make_attributes();
    return {make_primitive_desc(weights_op, attr.get(), name() + " (backward weights)", forward.get()),
            make_primitive_desc(data_op, attr.get(), name() + " (backward data)", forward.get())};
}

EST_DECL std::string convolution_primitives::name() const {
    return "a " + std::to_string(dims_.window) + "x" + std::to_string(dims_.window) + " convolution of " +
           std::to_string(dims_.channels) + " to " + std::to_string(dims_.out_channels) + " channels";
}

EST_DECL primitive_desc convolution_primitives::forward_desc(std::size_t batch, dnnl_memory_desc_t const& weights,
                                                             dnnl_prop_kind_t kind) const {
    dnnl_convolution_desc_t d;
    auto source = source_desc(batch), destination = destination_desc(batch), bias = bias_desc();
    check(dnnl_convolution_forward_desc_init(&d, kind, dnnl_convolution_direct, &source, &weights, &bias, &destination,
                                             strides_, padding_before_, padding_after_),
          name());
    return make_primitive_desc(d, make_attributes(algorithm_of(dims_.op)).get(), name());
}

EST_DECL convolution_primitives::plan& convolution_primitives::plan_for(std::size_t batch, est::layout input_layout,
                                                                        bool training) {
    for (auto& p : plans_)
        if (p.batch == batch && p.input_layout == input_layout && p.training == training)
            return p;
    if (plans_.size() == plans_kept)
        plans_.erase(plans_.begin());
    plans_.push_back(make_plan(batch, input_layout, training));
    return plans_.back();
}

EST_DECL convolution_primitives::plan convolution_primitives::make_plan(std::size_t batch, est::layout input_layout,
                                                                        bool training) {
    plan p;
    p.batch = batch;
    p.input_layout = input_layout;
    p.training = training;
    auto fwd = forward_desc(batch, weights_.stored_desc(), training ? dnnl_forward_training : dnnl_forward_inference);
    auto source = queried(fwd.get(), dnnl_query_src_md), destination = queried(fwd.get(), dnnl_query_dst_md);
    auto given = activation_desc(batch, dims_.channels, dims_.height, dims_.width, tag_of(input_layout));
    p.source = memory(source);
    p.weights = memory(queried(fwd.get(), dnnl_query_weights_md));
    p.bias = memory(bias_desc());
    p.destination = memory(destination);
    auto output_layout = layout_of(destination);
    if (!output_layout)
        throw error(name() + ": oneDNN chose an output layout est cannot describe");
    p.output_layout = *output_layout;
    if (!same(source, given))
        p.source_reorder = reorder(given, source);
    p.forward = make_primitive(fwd.get(), name());
    std::size_t scratchpad = bytes(queried(fwd.get(), dnnl_query_scratchpad_md));
    if (training) {
        auto [bwd_weights, bwd_data] = backward_descs(fwd);
        if (is_reference(bwd_data))
            bwd_data = nhwc_backward_data_desc(batch);
        auto diff_weights = queried(bwd_weights.get(), dnnl_query_diff_weights_md);
        auto data_weights = queried(bwd_data.get(), dnnl_query_weights_md);
        auto data_destination = queried(bwd_data.get(), dnnl_query_diff_dst_md);
        auto data_source = queried(bwd_data.get(), dnnl_query_diff_src_md);
        if (!same(queried(bwd_weights.get(), dnnl_query_src_md), source) ||
            !same(queried(bwd_weights.get(), dnnl_query_diff_dst_md), destination))
            throw error(name() + ": oneDNN's backward primitives want other activation layouts than its forward one");
        p.data_diff_destination = memory(data_destination);
        p.data_diff_source = memory(data_source);
        if (!same(data_destination, destination))
            p.data_diff_destination_reorder = reorder(destination, data_destination);
        p.diff_source_reorder = same(data_source, given) ? reorder() : reorder(data_source, given);
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

}  // namespace est::onednn
