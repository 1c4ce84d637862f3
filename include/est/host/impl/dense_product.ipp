// Definitions of est/host/dense_product.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/dense_product.hpp>

#include <string>
#include <string_view>

namespace est::onednn {

EST_DECL dense_product::dense_product(std::size_t inputs, std::size_t units, post_op op, kernel_order order)
    : inputs_(inputs), units_(units), op_(op), order_(order) {}

EST_DECL bool dense_product::faster_at(std::size_t batch) {
    bool large_kernel = inputs_ * units_ >= large_kernel_weights;
    return batch >= (large_kernel ? 256 : 64) && units_ >= least_units && plan_for(batch).brgemm;
}

EST_DECL kernel_order dense_product::preferred_order(std::size_t inputs, std::size_t units) {
    bool by_inputs = units >= least_units && inputs * units < large_kernel_weights && brgemm_runs();
    return by_inputs ? kernel_order::inputs_major : kernel_order::units_major;
}

EST_DECL bool dense_product::brgemm_runs() {
    static bool const runs = [] {
        dense_product probe(64, 64, post_op::none, kernel_order::inputs_major);
        return probe.plan_for(64).brgemm;
    }();
    return runs;
}

EST_DECL void dense_product::forward(float const* x, std::size_t batch, float const* kernel, float const* bias,
                                     float* y) {
    plan& p = plan_for(batch);
    scratchpad_.resize(p.scratchpad_floats);
    if (frozen_kernel_) {
        auto& copy = frozen_copies_[p.frozen_copy];
        if (copy.values.size() == 0) {
            copy.values.resize(floats(bytes(copy.layout)));
            reorder(stored_kernel(), copy.layout)(frozen_kernel_, copy.values.data());
        }
        kernel = copy.values.data();
    }
    execute<5>(p.matmul,
               {{{DNNL_ARG_SRC, p.source.bind(x)},
                 {DNNL_ARG_WEIGHTS, p.weights.bind(kernel)},
                 {DNNL_ARG_BIAS, p.bias.bind(bias)},
                 {DNNL_ARG_DST, p.destination.bind(y)},
                 {DNNL_ARG_SCRATCHPAD, p.scratchpad.bind(scratchpad_.data())}}},
               "a dense layer's forward pass");
}

EST_DECL void dense_product::freeze(float const* kernel) {
    frozen_kernel_ = kernel;
    plans_.clear();  // they read the kernel as it is stored
    frozen_copies_.clear();
}

EST_DECL dnnl_memory_desc_t dense_product::stored_kernel() const {
    // The weights operand is (inputs, units): K stored so is it as it is ("ab"), K stored (units,
    // inputs) its transpose ("ba").
    return memory_desc<2>({dnnl_dim_t(inputs_), dnnl_dim_t(units_)},
                          order_ == kernel_order::inputs_major ? dnnl_ab : dnnl_ba);
}

EST_DECL std::size_t dense_product::frozen_copy_in(dnnl_memory_desc_t const& layout) {
    for (std::size_t i = 0; i < frozen_copies_.size(); ++i)
        if (dnnl_memory_desc_equal(&frozen_copies_[i].layout, &layout))
            return i;
    frozen_copies_.push_back({layout, {}});
    return frozen_copies_.size() - 1;
}

EST_DECL dense_product::plan& dense_product::plan_for(std::size_t batch) {
    for (auto& p : plans_)
        if (p.batch == batch)
            return p;
    if (plans_.size() == plans_kept)
        plans_.erase(plans_.begin());
    auto rows = dnnl_dim_t(batch), inputs = dnnl_dim_t(inputs_), units = dnnl_dim_t(units_);
    // A frozen kernel is read in the layout the matmul picks ("any"), from a copy.
    auto source = memory_desc<2>({rows, inputs}, dnnl_ab),
         weights = frozen_kernel_ ? memory_desc<2>({inputs, units}, dnnl_format_tag_any) : stored_kernel(),
         bias = memory_desc<2>({1, units}, dnnl_ab), destination = memory_desc<2>({rows, units}, dnnl_ab);
    dnnl_matmul_desc_t op;
    check(dnnl_matmul_desc_init(&op, &source, &weights, &bias, &destination), name());
    auto pd = make_primitive_desc(op, make_attributes(algorithm_of(op_)).get(), name());
    plan p;
    p.batch = batch;
    char const* implementation = nullptr;
    check(dnnl_primitive_desc_query(pd.get(), dnnl_query_impl_info_str, 0, &implementation), name());
    p.brgemm = implementation && std::string_view(implementation).starts_with("brg");
    p.matmul = make_primitive(pd.get(), name());
    p.source = memory(source);
    p.weights = memory(queried(pd.get(), dnnl_query_weights_md));
    if (frozen_kernel_)
        p.frozen_copy = frozen_copy_in(p.weights.desc());
    p.bias = memory(bias);
    p.destination = memory(destination);
    std::size_t scratchpad = bytes(queried(pd.get(), dnnl_query_scratchpad_md));
    p.scratchpad = scratchpad_memory(scratchpad);
    p.scratchpad_floats = floats(scratchpad);
    plans_.push_back(std::move(p));
    return plans_.back();
}

EST_DECL std::string dense_product::name() const {
    return "a dense layer of " + std::to_string(inputs_) + " inputs to " + std::to_string(units_) + " units";
}

}  // namespace est::onednn
