// The host back end's use of oneDNN (its C API, v2: Debian's libdnnl 2.6): one CPU engine and
// stream, errors turned into est::error naming the primitive, memory objects over est-owned
// buffers, and primitives run on argument arrays built once. The C API keeps est's headers free of
// dnnl.hpp, which nvcc 13's front end cannot compile under C++20, so CUDA translation units can
// include the host back end too. oneDNN itself builds a hash map of the arguments on every execution
// (a few small heap allocations, counted by benchmarks/training_throughput); every buffer est owns
// is allocated once.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/config.hpp>
#include <est/core/error.hpp>
#include <est/core/layout.hpp>
#include <est/core/primitive.hpp>

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>

namespace est::onednn {

/// Host memory as est::host allocates it, 64-byte aligned (as oneDNN's kernels and AVX-512 loads
/// like it); est::host, defined after the primitives, allocates through it.
struct aligned_memory {
    static constexpr std::align_val_t alignment{64};
    static void* allocate(std::size_t bytes) { return ::operator new(std::max<std::size_t>(bytes, 1), alignment); }
    static void deallocate(void* p, std::size_t) { ::operator delete(p, alignment); }
};

/// A buffer in the host back end's memory.
template <class T>
using host_buffer = est::buffer<T, aligned_memory>;

/// The oneDNN element-wise algorithm of a fused post-op.
EST_DECL dnnl_alg_kind_t algorithm_of(post_op op);

/// Throws an est::error naming `what` where oneDNN reports a failure (a char pointer: the check on
/// every execution must not build a string).
inline void check(dnnl_status_t status, char const* what) {
    if (status != dnnl_success)
        throw error("oneDNN failed on " + std::string(what) + " (status " + std::to_string(int(status)) + ")");
}
inline void check(dnnl_status_t status, std::string const& what) { check(status, what.c_str()); }

namespace detail {
template <class Handle, dnnl_status_t (*Destroy)(Handle)>
struct destroyer {
    void operator()(Handle h) const { Destroy(h); }
};
}  // namespace detail

/// An owned oneDNN handle.
template <class Handle, dnnl_status_t (*Destroy)(Handle)>
using owned = std::unique_ptr<std::remove_pointer_t<Handle>, detail::destroyer<Handle, Destroy>>;

using primitive = owned<dnnl_primitive_t, dnnl_primitive_destroy>;
using primitive_desc = owned<dnnl_primitive_desc_t, dnnl_primitive_desc_destroy>;
using attributes = owned<dnnl_primitive_attr_t, dnnl_primitive_attr_destroy>;

/// The CPU engine every host primitive runs on.
EST_DECL dnnl_engine_t engine();

/// The calling thread's in-order stream, which host primitives run on (execution on the calling
/// thread, with OpenMP's threads, which est's element-wise kernels share); one a thread, as the
/// slices of an inference batch run primitives on several threads at once (host::for_each_slice).
EST_DECL dnnl_stream_t stream();

/// A plain memory descriptor of f32 values with `dims` laid out as `tag` says.
template <std::size_t N>
dnnl_memory_desc_t memory_desc(std::array<dnnl_dim_t, N> const& dims, dnnl_format_tag_t tag,
                               dnnl_data_type_t type = dnnl_f32) {
    dnnl_memory_desc_t md;
    check(dnnl_memory_desc_init_by_tag(&md, int(N), dims.data(), type, tag), "a memory descriptor");
    return md;
}

inline bool same(dnnl_memory_desc_t const& a, dnnl_memory_desc_t const& b) { return dnnl_memory_desc_equal(&a, &b); }
inline std::size_t bytes(dnnl_memory_desc_t const& md) { return dnnl_memory_desc_get_size(&md); }
/// Bytes -> floats, rounded up.
inline std::size_t floats(std::size_t bytes) { return (bytes + sizeof(float) - 1) / sizeof(float); }

/// The dnnl format tag of a layout of (N, C, H, W) data.
EST_DECL dnnl_format_tag_t tag_of(est::layout l);

/// An (N, C, H, W) activation descriptor.
inline dnnl_memory_desc_t activation_desc(std::size_t batch, std::size_t channels, std::size_t height,
                                          std::size_t width, dnnl_format_tag_t tag) {
    return memory_desc<4>({dnnl_dim_t(batch), dnnl_dim_t(channels), dnnl_dim_t(height), dnnl_dim_t(width)}, tag);
}

/// The layout a descriptor of (N, C, H, W) data has, if est can name it.
EST_DECL std::optional<est::layout> layout_of(dnnl_memory_desc_t const& md);

/// A descriptor that a primitive descriptor reports (its source, weights, scratchpad, ...).
inline dnnl_memory_desc_t queried(dnnl_primitive_desc_t const& pd, dnnl_query_t what) {
    return *dnnl_primitive_desc_query_md(pd, what, 0);
}

/// Attributes with est owning the scratchpad, and the post-op `op` (dnnl_alg_kind_undef: none).
EST_DECL attributes make_attributes(dnnl_alg_kind_t op = dnnl_alg_kind_undef);

/// A primitive descriptor of `op_desc` (a oneDNN operation descriptor), with `hint` for backward ones.
template <class OpDesc>
primitive_desc make_primitive_desc(OpDesc const& op_desc, dnnl_primitive_attr_t attr, std::string const& what,
                                   dnnl_primitive_desc_t hint = nullptr) {
    dnnl_primitive_desc_t pd = nullptr;
    check(dnnl_primitive_desc_create(&pd, &op_desc, attr, engine(), hint), what);
    return primitive_desc(pd);
}

EST_DECL primitive make_primitive(dnnl_primitive_desc_t pd, std::string const& what);

/// A memory object whose data handle is set before each execution (to an est-owned buffer).
class memory {
public:
    memory() = default;
    EST_DECL explicit memory(dnnl_memory_desc_t const& md);

    dnnl_memory_desc_t const& desc() const { return md_; }
    std::size_t bytes() const { return onednn::bytes(md_); }
    dnnl_memory_t bind(void const* data) const {
        check(dnnl_memory_set_data_handle(memory_.get(), const_cast<void*>(data)), "set_data_handle");
        return memory_.get();
    }

private:
    dnnl_memory_desc_t md_{};
    owned<dnnl_memory_t, dnnl_memory_destroy> memory_;
};

/// A memory object for a scratchpad of `bytes` (one byte at least).
inline memory scratchpad_memory(std::size_t bytes) {
    return memory(memory_desc<1>({dnnl_dim_t(std::max<std::size_t>(bytes, 1))}, dnnl_a, dnnl_u8));
}

/// Executes `p` on the host stream with `args` (DNNL_ARG_* and memory objects).
template <std::size_t N>
void execute(primitive const& p, std::array<dnnl_exec_arg_t, N> const& args, char const* what) {
    check(dnnl_primitive_execute(p.get(), stream(), int(N), args.data()), what);
}

/// A reorder between two descriptors of the same data, run on est-owned buffers.
class reorder {
public:
    reorder() = default;
    EST_DECL reorder(dnnl_memory_desc_t const& from, dnnl_memory_desc_t const& to);

    explicit operator bool() const { return bool(primitive_); }
    void operator()(void const* from, void* to) const {
        execute<2>(primitive_, {{{DNNL_ARG_FROM, from_.bind(from)}, {DNNL_ARG_TO, to_.bind(to)}}}, "a reorder");
    }

private:
    memory from_, to_;
    primitive primitive_;
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/onednn.ipp>
#endif
