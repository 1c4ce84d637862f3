// Definitions of est/host/onednn.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/onednn.hpp>

namespace est::onednn {

EST_DECL dnnl_engine_t engine() {
    static owned<dnnl_engine_t, dnnl_engine_destroy> e = [] {
        dnnl_engine_t handle = nullptr;
        check(dnnl_engine_create(&handle, dnnl_cpu, 0), "creating the CPU engine");
        return owned<dnnl_engine_t, dnnl_engine_destroy>(handle);
    }();
    return e.get();
}

EST_DECL dnnl_stream_t stream() {
    thread_local owned<dnnl_stream_t, dnnl_stream_destroy> s = [] {
        dnnl_stream_t handle = nullptr;
        check(dnnl_stream_create(&handle, engine(), dnnl_stream_default_flags), "creating a stream");
        return owned<dnnl_stream_t, dnnl_stream_destroy>(handle);
    }();
    return s.get();
}

EST_DECL dnnl_format_tag_t tag_of(est::layout l) {
    switch (l) {
        case est::layout::canonical:
            return dnnl_nhwc;
        case est::layout::channels_first:
            return dnnl_nchw;
        case est::layout::channel_blocks_8:
            return dnnl_nChw8c;
        case est::layout::channel_blocks_16:
            return dnnl_nChw16c;
    }
    return dnnl_nhwc;
}

EST_DECL std::optional<est::layout> layout_of(dnnl_memory_desc_t const& md) {
    for (est::layout l : {est::layout::canonical, est::layout::channels_first, est::layout::channel_blocks_8,
                          est::layout::channel_blocks_16})
        if (same(md, activation_desc(std::size_t(md.dims[0]), std::size_t(md.dims[1]), std::size_t(md.dims[2]),
                                     std::size_t(md.dims[3]), tag_of(l))))
            return l;
    return std::nullopt;
}

EST_DECL dnnl_alg_kind_t algorithm_of(post_op op) {
    switch (op) {
        case post_op::none:
            return dnnl_alg_kind_undef;
        case post_op::relu:
            return dnnl_eltwise_relu;
        case post_op::logistic:
            return dnnl_eltwise_logistic;
        case post_op::tanh:
            return dnnl_eltwise_tanh;
    }
    return dnnl_alg_kind_undef;
}

EST_DECL attributes make_attributes(dnnl_alg_kind_t op) {
    dnnl_primitive_attr_t attr = nullptr;
    check(dnnl_primitive_attr_create(&attr), "primitive attributes");
    attributes owner(attr);
    check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "primitive attributes");
    if (op != dnnl_alg_kind_undef) {
        dnnl_post_ops_t ops = nullptr;
        check(dnnl_post_ops_create(&ops), "post-ops");
        owned<dnnl_post_ops_t, dnnl_post_ops_destroy> ops_owner(ops);
        check(dnnl_post_ops_append_eltwise(ops, 1.0f, op, 0.0f, 0.0f), "post-ops");
        check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops");
    }
    return owner;
}

EST_DECL primitive make_primitive(dnnl_primitive_desc_t pd, std::string const& what) {
    dnnl_primitive_t p = nullptr;
    check(dnnl_primitive_create(&p, pd), what);
    return primitive(p);
}

EST_DECL memory::memory(dnnl_memory_desc_t const& md) : md_(md) {
    dnnl_memory_t m = nullptr;
    check(dnnl_memory_create(&m, &md_, engine(), DNNL_MEMORY_NONE), "a memory object");
    memory_.reset(m);
}

EST_DECL reorder::reorder(dnnl_memory_desc_t const& from, dnnl_memory_desc_t const& to) : from_(from), to_(to) {
    dnnl_primitive_desc_t pd = nullptr;
    check(dnnl_reorder_primitive_desc_create(&pd, &from, engine(), &to, engine(), nullptr), "a reorder");
    primitive_desc owner(pd);
    primitive_ = make_primitive(pd, "a reorder");
}

}  // namespace est::onednn
