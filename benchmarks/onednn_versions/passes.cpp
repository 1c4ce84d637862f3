// The CNN's heaviest passes run by oneDNN's C API alone, built against one oneDNN version (2.x: the
// v2 API with operation descriptors, as Debian's libdnnl 2.6; 3.x: descriptor-less primitive
// descriptors, as PyPI's onednn-cpu-gomp 3.2), to choose the version est builds on by measurement
// (benchmarks/onednn_versions/run.sh builds and runs both).
//
// Each pass (the two convolutions of examples/fashion_mnist_model.hpp: forward training and
// inference with the fused ReLU, backward weights, backward data; dense1's three products by
// dnnl_sgemm) runs 3 times untimed, then `repeats` times timed. Printed, one JSON object a line: the
// pass, the activation layout asked for, the median ms, GFLOP/s (2 FLOP a nominal multiply-add),
// the kernel oneDNN chose, and the heap allocations (the whole malloc family, counted by
// tests/support/heap_allocations.cpp) a timed execution made.
#include "../../tests/support/heap_allocations.hpp"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

void check(dnnl_status_t status, char const* what) {
    if (status != dnnl_success) {
        std::fprintf(stderr, "oneDNN failed on %s (status %d)\n", what, int(status));
        std::exit(1);
    }
}

#if DNNL_VERSION_MAJOR >= 3
using desc = const_dnnl_memory_desc_t;  // owned by the process: these few leak on purpose
desc make_desc(int ndims, dnnl_dim_t const* dims, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md = nullptr;
    check(dnnl_memory_desc_create_with_tag(&md, ndims, dims, dnnl_f32, tag), "a memory descriptor");
    return md;
}
desc queried(dnnl_primitive_desc_t pd, dnnl_query_t what) { return dnnl_primitive_desc_query_md(pd, what, 0); }
desc handle(desc const& md) { return md; }
#else
using desc = dnnl_memory_desc_t;
desc make_desc(int ndims, dnnl_dim_t const* dims, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md;
    check(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_f32, tag), "a memory descriptor");
    return md;
}
desc queried(dnnl_primitive_desc_t pd, dnnl_query_t what) { return *dnnl_primitive_desc_query_md(pd, what, 0); }
desc const* handle(desc const& md) { return &md; }
#endif

dnnl_engine_t engine;
dnnl_stream_t stream;
int repeats = 21;

dnnl_primitive_attr_t attributes(bool relu) {
    dnnl_primitive_attr_t attr = nullptr;
    check(dnnl_primitive_attr_create(&attr), "attributes");
    check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "attributes");
    if (relu) {
        dnnl_post_ops_t ops = nullptr;
        check(dnnl_post_ops_create(&ops), "post-ops");
#if DNNL_VERSION_MAJOR >= 3
        check(dnnl_post_ops_append_eltwise(ops, dnnl_eltwise_relu, 0.0f, 0.0f), "post-ops");
#else
        check(dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), "post-ops");
#endif
        check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops");
    }
    return attr;
}

/// A new 64-byte aligned buffer of `count` small values (never freed: the program is short).
float* filled_buffer(std::size_t count) {
    auto* data = static_cast<float*>(std::aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64));
    for (std::size_t i = 0; i < count; ++i)
        data[i] = 0.001f * float(i % 97);
    return data;
}

/// A memory object over a filled_buffer of the descriptor's size.
dnnl_memory_t memory_for(desc const& md) {
    std::size_t bytes = std::max<std::size_t>(dnnl_memory_desc_get_size(handle(md)), 64);
    dnnl_memory_t m = nullptr;
    check(dnnl_memory_create(&m, handle(md), engine, filled_buffer((bytes + 3) / sizeof(float))),
          "a memory object");
    return m;
}

std::string implementation(dnnl_primitive_desc_t pd) {
    char const* name = nullptr;
    check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name), "an implementation query");
    return name ? name : "?";
}

void report(char const* pass, char const* layout, int batch, double macs, std::function<void()> const& run,
            std::string const& kernel) {
    for (int i = 0; i < 3; ++i)
        run();
    std::vector<double> ms;
    auto before = test::heap_allocations();
    for (int i = 0; i < repeats; ++i) {
        auto start = std::chrono::steady_clock::now();
        run();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    auto allocations = test::heap_allocations() - before;
    std::sort(ms.begin(), ms.end());
    double median = ms[ms.size() / 2];
    std::printf("{\"onednn\": \"%d.%d\", \"pass\": \"%s\", \"layout\": \"%s\", \"batch\": %d, \"ms\": %.4f, "
                "\"gflops\": %.1f, \"kernel\": \"%s\", \"allocations_per_execution\": %.1f}\n",
                DNNL_VERSION_MAJOR, DNNL_VERSION_MINOR, pass, layout, batch, median, 2.0 * macs / median / 1e6,
                kernel.c_str(), double(allocations.total) / repeats);
    std::fflush(stdout);
}

void execute(dnnl_primitive_t p, std::vector<dnnl_exec_arg_t> const& args, char const* what) {
    check(dnnl_primitive_execute(p, stream, int(args.size()), args.data()), what);
}

struct convolution {
    char const* name;
    int channels, size, filters;
    bool first;  ///< a first layer: no backward-data pass
};

void convolutions(convolution const& c, int batch, bool training, dnnl_format_tag_t activations,
                  char const* layout) {
    dnnl_dim_t source_dims[4] = {batch, c.channels, c.size, c.size};
    dnnl_dim_t destination_dims[4] = {batch, c.filters, c.size, c.size};
    dnnl_dim_t weights_dims[4] = {c.filters, c.channels, 5, 5}, bias_dims[1] = {c.filters};
    dnnl_dims_t strides = {1, 1}, dilation = {0, 0}, padding = {2, 2};
    desc source = make_desc(4, source_dims, activations), destination = make_desc(4, destination_dims, activations);
    desc weights = make_desc(4, weights_dims, dnnl_format_tag_any), bias = make_desc(1, bias_dims, dnnl_a);
    auto kind = training ? dnnl_forward_training : dnnl_forward_inference;
    dnnl_primitive_desc_t forward = nullptr, backward_weights = nullptr, backward_data = nullptr;
#if DNNL_VERSION_MAJOR >= 3
    check(dnnl_convolution_forward_primitive_desc_create(&forward, engine, kind, dnnl_convolution_direct, source,
                                                         weights, bias, destination, strides, dilation, padding,
                                                         padding, attributes(true)),
          c.name);
#else
    dnnl_convolution_desc_t op;
    check(dnnl_dilated_convolution_forward_desc_init(&op, kind, dnnl_convolution_direct, &source, &weights, &bias,
                                                     &destination, strides, dilation, padding, padding),
          c.name);
    check(dnnl_primitive_desc_create(&forward, &op, attributes(true), engine, nullptr), c.name);
#endif
    desc chosen_source = queried(forward, dnnl_query_src_md), chosen_destination = queried(forward, dnnl_query_dst_md);
    dnnl_primitive_t p = nullptr;
    check(dnnl_primitive_create(&p, forward), c.name);
    std::vector<dnnl_exec_arg_t> args = {{DNNL_ARG_SRC, memory_for(chosen_source)},
                                         {DNNL_ARG_WEIGHTS, memory_for(queried(forward, dnnl_query_weights_md))},
                                         {DNNL_ARG_BIAS, memory_for(bias)},
                                         {DNNL_ARG_DST, memory_for(chosen_destination)},
                                         {DNNL_ARG_SCRATCHPAD, memory_for(queried(forward, dnnl_query_scratchpad_md))}};
    double macs = double(batch) * c.size * c.size * c.filters * c.channels * 25;
    std::string pass = std::string(c.name) + (training ? " forward, training" : " forward, inference");
    report(pass.c_str(), layout, batch, macs, [&] { execute(p, args, c.name); }, implementation(forward));
    if (!training)
        return;
#if DNNL_VERSION_MAJOR >= 3
    check(dnnl_convolution_backward_weights_primitive_desc_create(
              &backward_weights, engine, dnnl_convolution_direct, chosen_source, weights, bias, chosen_destination,
              strides, dilation, padding, padding, forward, attributes(false)),
          c.name);
    check(dnnl_convolution_backward_data_primitive_desc_create(&backward_data, engine, dnnl_convolution_direct,
                                                               chosen_source, weights, chosen_destination, strides,
                                                               dilation, padding, padding, forward, attributes(false)),
          c.name);
#else
    dnnl_convolution_desc_t weights_op, data_op;
    check(dnnl_dilated_convolution_backward_weights_desc_init(&weights_op, dnnl_convolution_direct, &chosen_source,
                                                              &weights, &bias, &chosen_destination, strides, dilation,
                                                              padding, padding),
          c.name);
    check(dnnl_dilated_convolution_backward_data_desc_init(&data_op, dnnl_convolution_direct, &chosen_source,
                                                           &weights, &chosen_destination, strides, dilation, padding,
                                                           padding),
          c.name);
    check(dnnl_primitive_desc_create(&backward_weights, &weights_op, attributes(false), engine, forward), c.name);
    check(dnnl_primitive_desc_create(&backward_data, &data_op, attributes(false), engine, forward), c.name);
#endif
    dnnl_primitive_t w = nullptr, d = nullptr;
    check(dnnl_primitive_create(&w, backward_weights), c.name);
    std::vector<dnnl_exec_arg_t> weights_args = {
        {DNNL_ARG_SRC, memory_for(queried(backward_weights, dnnl_query_src_md))},
        {DNNL_ARG_DIFF_DST, memory_for(queried(backward_weights, dnnl_query_diff_dst_md))},
        {DNNL_ARG_DIFF_WEIGHTS, memory_for(queried(backward_weights, dnnl_query_diff_weights_md))},
        {DNNL_ARG_DIFF_BIAS, memory_for(bias)},
        {DNNL_ARG_SCRATCHPAD, memory_for(queried(backward_weights, dnnl_query_scratchpad_md))}};
    pass = std::string(c.name) + " backward weights";
    report(pass.c_str(), layout, batch, macs, [&] { execute(w, weights_args, c.name); },
           implementation(backward_weights));
    if (c.first)
        return;
    check(dnnl_primitive_create(&d, backward_data), c.name);
    std::vector<dnnl_exec_arg_t> data_args = {
        {DNNL_ARG_DIFF_DST, memory_for(queried(backward_data, dnnl_query_diff_dst_md))},
        {DNNL_ARG_WEIGHTS, memory_for(queried(backward_data, dnnl_query_weights_md))},
        {DNNL_ARG_DIFF_SRC, memory_for(queried(backward_data, dnnl_query_diff_src_md))},
        {DNNL_ARG_SCRATCHPAD, memory_for(queried(backward_data, dnnl_query_scratchpad_md))}};
    pass = std::string(c.name) + " backward data";
    report(pass.c_str(), layout, batch, macs, [&] { execute(d, data_args, c.name); }, implementation(backward_data));
}

/// dense1 (3136 inputs, 1024 units) as est runs it: row-major sgemm, kernel stored (units, inputs).
void dense(int batch, bool training) {
    constexpr int inputs = 3136, units = 1024;
    float *x = filled_buffer(std::size_t(batch) * inputs), *w = filled_buffer(std::size_t(units) * inputs),
          *y = filled_buffer(std::size_t(batch) * units);
    double macs = double(batch) * inputs * units;
    auto sgemm = [](char ta, char tb, int m, int n, int k, float const* a, int lda, float const* b, int ldb, float* c,
                    int ldc) { check(dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc), "sgemm"); };
    report(training ? "dense1 forward, training" : "dense1 forward, inference", "row-major", batch, macs,
           [&] { sgemm('N', 'T', batch, units, inputs, x, inputs, w, inputs, y, units); }, "sgemm");
    if (!training)
        return;
    report("dense1 backward weights", "row-major", batch, macs,
           [&] { sgemm('T', 'N', units, inputs, batch, y, units, x, inputs, w, inputs); }, "sgemm");
    report("dense1 backward data", "row-major", batch, macs,
           [&] { sgemm('N', 'N', batch, inputs, units, y, units, w, inputs, x, inputs); }, "sgemm");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1)
        repeats = std::max(1, std::atoi(argv[1]));
    check(dnnl_engine_create(&engine, dnnl_cpu, 0), "the CPU engine");
    check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags), "a stream");
    test::heap_allocations();  // starts the counting
    convolution conv1{"conv1", 1, 28, 32, true}, conv2{"conv2", 32, 14, 64, false};
    // est's choices: NHWC for the first layer, oneDNN's pick (`any`) for the others.
    convolutions(conv1, 64, true, dnnl_nhwc, "nhwc");
    convolutions(conv2, 64, true, dnnl_format_tag_any, "any");
    dense(64, true);
    convolutions(conv1, 256, false, dnnl_nhwc, "nhwc");
    convolutions(conv1, 256, false, dnnl_format_tag_any, "any");
    convolutions(conv2, 256, false, dnnl_format_tag_any, "any");
    dense(256, false);
}
