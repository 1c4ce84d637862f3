// Definitions of est/host/convolution.hpp (see est/core/config.hpp).
#pragma once

#include <est/host/convolution.hpp>

#include <cstring>

namespace est::onednn {

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

}  // namespace est::onednn
