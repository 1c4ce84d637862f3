// The measurement behind the host back end's choices (docs/design.md, "The host back end"): for the
// layers of the Fashion-MNIST CNN at batch 64 (training) and 256 (inference), oneDNN's convolutions
// with NHWC activations against the layouts oneDNN picks, the reorders between the two, oneDNN's max
// pooling against est's kernel, and oneDNN's inner product against est's sgemm-based dense layer
// with its kernel stored either way and est's fused matmul (the CNN's and the MLP's dense layers);
// then the two forms of a dense layer's forward product (x K^T, K x^T) and the fused matmul over a
// grid of shapes; and the dense layers' products (training, and inference's forward pass) on
// oneDNN's sgemm against est's own (host/matrix_product.hpp); and the MLP's inference pass against
// its products alone and frozen (est::frozen). Each is read against the FP32 peak measured in the
// same run. The alternatives of a comparison run in turns, so that they see the same machine.
// Tables, then every figure as one JSON line. `host_primitives products` runs the products and the
// MLP's inference alone.
#include "../examples/fashion_mnist_model.hpp"
#include "../tests/support/kernel_order.hpp"
#include "support/fp32_peak.hpp"

#include <est/core/random.hpp>
#include <est/host/backend.hpp>
#include <est/nn/activation.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <numeric>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace {

namespace dnn = est::onednn;
using dnn::host_buffer;

constexpr std::size_t train_batch = 64, inference_batch = 256;
constexpr int warmups = 3, timed_calls = 21;
// The blocked layout oneDNN chooses for the CNN's convolutions on AVX2 (AVX-512 machines: nChw16c).
constexpr est::layout blocked = est::layout::channel_blocks_8;

double milliseconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

struct timing {
    double median_ms = 0.0, min_ms = 0.0;
};

/// Times each of `alternatives` after `warmups` calls of each, in turns (A, B, A, B, ...), so that a
/// change of the machine's load hits all of them alike.
std::vector<timing> compare(std::vector<std::function<void()>> const& alternatives) {
    for (int i = 0; i < warmups; ++i)
        for (auto const& run : alternatives) run();
    std::vector<std::vector<double>> ms(alternatives.size());
    for (int i = 0; i < timed_calls; ++i)
        for (std::size_t a = 0; a < alternatives.size(); ++a) {
            auto start = std::chrono::steady_clock::now();
            alternatives[a]();
            ms[a].push_back(milliseconds_since(start));
        }
    std::vector<timing> result;
    for (auto& m : ms) {
        std::sort(m.begin(), m.end());
        result.push_back({m[m.size() / 2], m.front()});
    }
    return result;
}

/// The best of every round of the FMA chains, taken between the sections.
struct peak_meter {
    double gflops = 0.0;
    int rounds = 0;
    void measure() {
        for (int i = 0; i < 5; ++i, ++rounds) gflops = std::max(gflops, bench::fp32_peak_gflops());
    }
};

struct row {
    std::string section, op;
    std::size_t batch = 0;
    std::string variant;
    timing time;
    double flops = 0.0;  // per call; 0 where the pass is no product (pooling, reorders)
    std::string implementation;
};

/// A oneDNN memory format in the letters of its dimensions ("nchw" for activations, "oihw" for
/// weights): the outer dimensions, outermost first and upper case where blocked, then the inner
/// blocks (nChw8c, OIhw8i8o). Among dimensions of the same stride, one of extent 1 reads as the inner
/// one, so that a 1-channel NHWC batch reads as nhwc.
std::string format_name(dnnl_memory_desc_t const& md, char const* letters) {
    if (md.format_kind != dnnl_blocked)
        return "opaque";
    auto const& b = md.format_desc.blocking;
    std::vector<int> order(std::size_t(md.ndims));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
        if (b.strides[x] != b.strides[y])
            return b.strides[x] > b.strides[y];
        return md.padded_dims[x] != 1 && md.padded_dims[y] == 1;
    });
    std::string name;
    for (int d : order) {
        bool is_blocked = std::find(b.inner_idxs, b.inner_idxs + b.inner_nblks, d) != b.inner_idxs + b.inner_nblks;
        name += is_blocked ? char(std::toupper(letters[d])) : letters[d];
    }
    for (int i = 0; i < b.inner_nblks; ++i) name += std::to_string(b.inner_blks[i]) + letters[b.inner_idxs[i]];
    return name;
}

/// The name of the implementation oneDNN picked for `pd` (jit:avx2, gemm:jit, ...).
std::string implementation(dnnl_primitive_desc_t pd) {
    char const* name = nullptr;
    dnn::check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name), "an implementation query");
    return name;
}

/// A buffer for `md` holding standard-normal values: drawn in the plain row-major order of its
/// dimensions and reordered into `md`, so that a blocked layout's padding is zero.
host_buffer<float> random_buffer(dnnl_memory_desc_t const& md, est::random_engine& rng) {
    static constexpr dnnl_format_tag_t row_major[] = {dnnl_format_tag_undef, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd};
    dnnl_memory_desc_t plain;
    dnn::check(dnnl_memory_desc_init_by_tag(&plain, md.ndims, md.dims, dnnl_f32, row_major[md.ndims]),
               "a plain descriptor");
    host_buffer<float> values(dnn::floats(dnn::bytes(plain))), result(dnn::floats(dnn::bytes(md)));
    for (std::size_t i = 0; i < values.size(); ++i) values.data()[i] = rng.normal();
    dnn::reorder(plain, md)(values.data(), result.data());
    return result;
}

host_buffer<float> buffer_for(dnnl_memory_desc_t const& md) { return host_buffer<float>(dnn::floats(dnn::bytes(md))); }

float max_abs_difference(float const* a, float const* b, std::size_t n) {
    float m = 0.0f;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

// ---- Convolutions ----

constexpr std::size_t window = 5;
constexpr dnnl_dims_t unit_strides = {1, 1}, same_padding = {2, 2};

struct conv_layer {
    char const* name;
    std::size_t channels, filters, size;  // input channels, output channels, height = width ("same")
    bool input_gradient;                  // the first layer's input needs none

    /// Window taps inside the input, summed over the output positions of one row: oneDNN's kernels
    /// skip the padding's taps, which est's nominal MAC count (every tap) includes.
    constexpr std::size_t taps() const {
        std::size_t total = 0;
        for (std::size_t o = 0; o < size; ++o)
            total += std::min(o + window / 2, size - 1) + 1 - (o > window / 2 ? o - window / 2 : 0);
        return total;
    }
    constexpr double flops(std::size_t batch) const {
        return 2.0 * double(batch * taps() * taps()) * double(filters * channels);
    }
    constexpr double nominal_share() const { return double(taps() * taps()) / double(size * size * window * window); }
};

constexpr conv_layer cnn_convolutions[] = {{"conv1", 1, 32, 28, false}, {"conv2", 32, 64, 14, true}};

struct activation_layouts {
    char const* name;
    dnnl_format_tag_t source, destination;
};

/// One layer's primitives for one batch size and choice of activation layouts, built as est builds
/// them: the forward pass with bias and relu fused; in training, backward weights (with bias) and
/// backward data on the activation layouts the forward pass chose, weights `any` in each. Every
/// buffer holds random values.
struct conv_case {
    dnn::primitive forward, backward_weights, backward_data;
    dnn::memory source, weights, bias, destination, diff_weights, data_weights, scratchpad;
    host_buffer<float> x, w, b, y, dy, dw, db, dx, wd, scratch, stored_gradient;
    std::string forward_info, weights_info, data_info;
    // The weight reorders est runs in every step where the backward passes want other layouts than the
    // stored (forward) one: the weights gradient into it, and the weights out of it for backward data.
    dnn::reorder gradient_to_stored, stored_to_data;
    std::string gradient_to_stored_info, stored_to_data_info;

    void run_forward() {
        dnn::execute<5>(forward,
                        {{{DNNL_ARG_SRC, source.bind(x.data())},
                          {DNNL_ARG_WEIGHTS, weights.bind(w.data())},
                          {DNNL_ARG_BIAS, bias.bind(b.data())},
                          {DNNL_ARG_DST, destination.bind(y.data())},
                          {DNNL_ARG_SCRATCHPAD, scratchpad.bind(scratch.data())}}},
                        "a convolution's forward pass");
    }
    void run_backward_weights() {
        dnn::execute<5>(backward_weights,
                        {{{DNNL_ARG_SRC, source.bind(x.data())},
                          {DNNL_ARG_DIFF_DST, destination.bind(dy.data())},
                          {DNNL_ARG_DIFF_WEIGHTS, diff_weights.bind(dw.data())},
                          {DNNL_ARG_DIFF_BIAS, bias.bind(db.data())},
                          {DNNL_ARG_SCRATCHPAD, scratchpad.bind(scratch.data())}}},
                        "a convolution's backward weights");
    }
    void run_backward_data() {
        dnn::execute<4>(backward_data,
                        {{{DNNL_ARG_DIFF_DST, destination.bind(dy.data())},
                          {DNNL_ARG_WEIGHTS, data_weights.bind(wd.data())},
                          {DNNL_ARG_DIFF_SRC, source.bind(dx.data())},
                          {DNNL_ARG_SCRATCHPAD, scratchpad.bind(scratch.data())}}},
                        "a convolution's backward data");
    }
};

conv_case make_conv_case(conv_layer const& layer, std::size_t batch, bool training, activation_layouts layouts,
                         est::random_engine& rng) {
    auto source = dnn::activation_desc(batch, layer.channels, layer.size, layer.size, layouts.source);
    auto destination = dnn::activation_desc(batch, layer.filters, layer.size, layer.size, layouts.destination);
    auto weights = dnn::memory_desc<4>(
        {dnnl_dim_t(layer.filters), dnnl_dim_t(layer.channels), dnnl_dim_t(window), dnnl_dim_t(window)},
        dnnl_format_tag_any);
    auto bias = dnn::memory_desc<1>({dnnl_dim_t(layer.filters)}, dnnl_a);
    dnnl_convolution_desc_t forward_op;
    dnn::check(dnnl_convolution_forward_desc_init(
                   &forward_op, training ? dnnl_forward_training : dnnl_forward_inference, dnnl_convolution_direct,
                   &source, &weights, &bias, &destination, unit_strides, same_padding, same_padding),
               layer.name);
    auto forward_pd = dnn::make_primitive_desc(forward_op, dnn::make_attributes(dnnl_eltwise_relu).get(), layer.name);
    source = dnn::queried(forward_pd.get(), dnnl_query_src_md);
    destination = dnn::queried(forward_pd.get(), dnnl_query_dst_md);
    auto chosen_weights = dnn::queried(forward_pd.get(), dnnl_query_weights_md);

    conv_case c;
    c.forward = dnn::make_primitive(forward_pd.get(), layer.name);
    c.source = dnn::memory(source);
    c.weights = dnn::memory(chosen_weights);
    c.bias = dnn::memory(bias);
    c.destination = dnn::memory(destination);
    c.x = random_buffer(source, rng);
    c.w = random_buffer(chosen_weights, rng);
    c.b = random_buffer(bias, rng);
    c.y = buffer_for(destination);
    c.forward_info = implementation(forward_pd.get()) + " src " + format_name(source, "nchw") + " dst " +
                     format_name(destination, "nchw") + " wei " + format_name(chosen_weights, "oihw");
    std::size_t scratchpad = dnn::bytes(dnn::queried(forward_pd.get(), dnnl_query_scratchpad_md));
    if (training) {
        auto attributes = dnn::make_attributes();
        dnnl_convolution_desc_t weights_op;
        dnn::check(
            dnnl_convolution_backward_weights_desc_init(&weights_op, dnnl_convolution_direct, &source, &weights, &bias,
                                                        &destination, unit_strides, same_padding, same_padding),
            layer.name);
        auto weights_pd = dnn::make_primitive_desc(weights_op, attributes.get(), layer.name, forward_pd.get());
        auto diff_weights = dnn::queried(weights_pd.get(), dnnl_query_diff_weights_md);
        c.backward_weights = dnn::make_primitive(weights_pd.get(), layer.name);
        c.diff_weights = dnn::memory(diff_weights);
        c.dy = random_buffer(destination, rng);
        c.dw = buffer_for(diff_weights);
        c.db = buffer_for(bias);
        c.weights_info = implementation(weights_pd.get()) + " diff_wei " + format_name(diff_weights, "oihw");
        scratchpad = std::max(scratchpad, dnn::bytes(dnn::queried(weights_pd.get(), dnnl_query_scratchpad_md)));
        if (!dnn::same(diff_weights, chosen_weights)) {
            c.gradient_to_stored = dnn::reorder(diff_weights, chosen_weights);
            c.stored_gradient = buffer_for(chosen_weights);
            c.gradient_to_stored_info =
                "oneDNN reorder " + format_name(diff_weights, "oihw") + "->" + format_name(chosen_weights, "oihw");
        }
        if (layer.input_gradient) {
            dnnl_convolution_desc_t data_op;
            dnn::check(dnnl_convolution_backward_data_desc_init(&data_op, dnnl_convolution_direct, &source, &weights,
                                                                &destination, unit_strides, same_padding, same_padding),
                       layer.name);
            auto data_pd = dnn::make_primitive_desc(data_op, attributes.get(), layer.name, forward_pd.get());
            auto data_weights = dnn::queried(data_pd.get(), dnnl_query_weights_md);
            c.backward_data = dnn::make_primitive(data_pd.get(), layer.name);
            c.data_weights = dnn::memory(data_weights);
            c.wd = random_buffer(data_weights, rng);
            c.dx = buffer_for(source);
            c.data_info = implementation(data_pd.get()) + " wei " + format_name(data_weights, "oihw");
            scratchpad = std::max(scratchpad, dnn::bytes(dnn::queried(data_pd.get(), dnnl_query_scratchpad_md)));
            if (!dnn::same(data_weights, chosen_weights)) {
                c.stored_to_data = dnn::reorder(chosen_weights, data_weights);
                c.stored_to_data_info =
                    "oneDNN reorder " + format_name(chosen_weights, "oihw") + "->" + format_name(data_weights, "oihw");
            }
        }
    }
    c.scratchpad = dnn::scratchpad_memory(scratchpad);
    c.scratch = host_buffer<float>(dnn::floats(scratchpad));
    return c;
}

void convolutions(std::vector<row>& rows, est::random_engine& rng) {
    for (auto const& layer : cnn_convolutions) {
        std::vector<activation_layouts> choices = {{"nhwc", dnnl_nhwc, dnnl_nhwc},
                                                   {"any", dnnl_format_tag_any, dnnl_format_tag_any}};
        if (layer.channels < 8)  // a first layer's input comes NHWC; its output could still be oneDNN's choice
            choices.push_back({"nhwc/any", dnnl_nhwc, dnnl_format_tag_any});
        for (bool training : {true, false}) {
            std::size_t batch = training ? train_batch : inference_batch;
            std::vector<conv_case> cases;
            for (auto const& choice : choices) cases.push_back(make_conv_case(layer, batch, training, choice, rng));
            auto measure = [&](char const* pass, std::function<void(conv_case&)> run, std::string conv_case::*info,
                               std::function<void()> own = {}, char const* own_info = "",
                               char const* own_variant = "est winograd") {
                std::vector<std::function<void()>> runs;
                for (auto& c : cases) runs.push_back([&c, run] { run(c); });
                if (own)
                    runs.push_back(own);
                auto times = compare(runs);
                for (std::size_t i = 0; i < cases.size(); ++i)
                    rows.push_back({"convolution", std::string(layer.name) + " " + pass, batch, choices[i].name,
                                    times[i], layer.flops(batch), cases[i].*info});
                if (own)
                    rows.push_back({"convolution", std::string(layer.name) + " " + pass, batch, own_variant,
                                    times.back(), layer.flops(batch), own_info});
            };
            auto fill = [&](host_buffer<float>& buffer, std::size_t n) {
                buffer.resize(n);
                for (std::size_t i = 0; i < n; ++i) buffer.data()[i] = rng.normal();
            };
            bool const winograd_runs =
                dnn::winograd_convolution::fits(layer.size, layer.size, layer.channels, layer.filters, window, 1, 2, 2,
                                                2, 2, est::post_op::relu) &&
                dnn::winograd_convolution::runs_on_this_cpu();
            // est's direct kernels train the first convolution (host/direct_convolution.hpp).
            using first_geometry = est::window_geometry<28, 28, 1, 32, window, 1, 2, 2, 28, 28>;
            using direct_convolution = dnn::direct_convolution<first_geometry, est::post_op::relu>;
            bool const direct_runs = training && layer.channels == first_geometry::channels &&
                                     layer.filters == first_geometry::out_channels &&
                                     layer.size == first_geometry::height && direct_convolution::runs_on_this_cpu();
            dnn::winograd_dims dims{layer.size, layer.size, layer.channels, layer.filters, est::post_op::relu};
            host_buffer<float> x, w, b, y, dy, dx, dw, db;
            if (winograd_runs || direct_runs) {
                fill(x, batch * layer.size * layer.size * layer.channels);
                fill(w, window * window * layer.channels * layer.filters);
                fill(b, layer.filters);
                fill(dy, batch * layer.size * layer.size * layer.filters);
                y.resize(batch * layer.size * layer.size * layer.filters);
                dx.resize(x.size());
                dw.resize(w.size());
                db.resize(b.size());
            }
            if (!training) {
                // est's inference path for this layer and the pooling after it, where it runs:
                // Winograd's F(2x2, 5x5) (host/winograd_max_pooling.hpp), timed beside oneDNN's
                // convolution alone.
                std::function<void()> winograd;
                std::optional<dnn::winograd_max_pooling> pooled_convolution;
                if (winograd_runs) {
                    pooled_convolution.emplace(dims);
                    winograd = [&] {
                        pooled_convolution->forward<est::host>(x.data(), batch, 0, w.data(), b.data(), y.data());
                    };
                }
                measure("forward_inference", &conv_case::run_forward, &conv_case::forward_info, winograd,
                        "est F(2x2,5x5) with the 2x2 max pooling, src nhwc");
                continue;
            }
            // est's training path for this layer where it runs: Winograd's F(2x2, 5x5)
            // (host/winograd_convolution.hpp), its backward pass (weights, bias and data gradients
            // in one call) timed beside oneDNN's two backward passes one after the other; or the
            // direct kernels of a first layer (weights and bias gradients).
            std::optional<dnn::winograd_convolution> convolution;
            direct_convolution direct;
            std::function<void()> own_forward, own_backward;
            if (direct_runs) {
                own_forward = [&] { direct.forward<est::host>(x.data(), batch, w.data(), b.data(), y.data()); };
                own_backward = [&] {
                    direct.backward<est::host>(x.data(), dy.data(), batch, w.data(), dw.data(), db.data(), nullptr);
                };
            }
            if (winograd_runs) {
                convolution.emplace(dims);
                own_forward = [&] {
                    convolution->forward<est::host>(x.data(), batch, 0, w.data(), b.data(), y.data());
                };
                own_backward = [&] {
                    convolution->backward<est::host>(x.data(), dy.data(), batch, 0, w.data(), dw.data(), db.data(),
                                                     layer.input_gradient ? dx.data() : nullptr);
                };
            }
            if (direct_runs) {
                measure("forward_training", &conv_case::run_forward, &conv_case::forward_info, own_forward,
                        "est direct, src and dst nhwc", "est direct");
                measure("backward_weights", &conv_case::run_backward_weights, &conv_case::weights_info, own_backward,
                        "est direct: weights and bias gradients", "est direct");
            } else {
                measure("forward_training", &conv_case::run_forward, &conv_case::forward_info, own_forward,
                        "est F(2x2,5x5), src and dst nhwc");
                measure("backward_weights", &conv_case::run_backward_weights, &conv_case::weights_info);
            }
            if (layer.input_gradient)
                measure("backward_data", &conv_case::run_backward_data, &conv_case::data_info);
            if (winograd_runs)
                measure(
                    layer.input_gradient ? "backward_weights + backward_data" : "backward_weights",
                    [&](conv_case& c) {
                        c.run_backward_weights();
                        if (layer.input_gradient)
                            c.run_backward_data();
                    },
                    &conv_case::weights_info, own_backward, "est F(2x2,5x5): weights, bias and data gradients");

            std::vector<std::function<void()>> runs;
            std::vector<row> reorder_rows;
            for (std::size_t i = 0; i < cases.size(); ++i) {
                auto& c = cases[i];
                if (c.gradient_to_stored) {
                    runs.push_back([&c] { c.gradient_to_stored(c.dw.data(), c.stored_gradient.data()); });
                    reorder_rows.push_back({"reorder",
                                            std::string(layer.name) + " weights gradient to stored",
                                            batch,
                                            choices[i].name,
                                            {},
                                            0.0,
                                            c.gradient_to_stored_info});
                }
                if (c.stored_to_data) {
                    runs.push_back([&c] { c.stored_to_data(c.w.data(), c.wd.data()); });
                    reorder_rows.push_back({"reorder",
                                            std::string(layer.name) + " weights for backward_data",
                                            batch,
                                            choices[i].name,
                                            {},
                                            0.0,
                                            c.stored_to_data_info});
                }
            }
            auto times = compare(runs);
            for (std::size_t i = 0; i < reorder_rows.size(); ++i) {
                reorder_rows[i].time = times[i];
                rows.push_back(reorder_rows[i]);
            }
        }
    }
}

/// The reorders est runs where an NHWC layer meets a blocked one: NHWC -> blocked and back, for the
/// input and the output of conv2.
void reorders(std::vector<row>& rows, est::random_engine& rng) {
    struct tensor {
        char const* name;
        std::size_t batch, channels, size;
    };
    tensor const tensors[] = {{"pool1 output", train_batch, 32, 14},
                              {"conv2 output", train_batch, 64, 14},
                              {"pool1 output", inference_batch, 32, 14}};
    for (auto const& t : tensors) {
        auto nhwc = dnn::activation_desc(t.batch, t.channels, t.size, t.size, dnnl_nhwc);
        auto block = dnn::activation_desc(t.batch, t.channels, t.size, t.size, dnn::tag_of(blocked));
        dnn::reorder to_blocked(nhwc, block), to_nhwc(block, nhwc);
        auto a = random_buffer(nhwc, rng), b = random_buffer(block, rng);
        auto times = compare({[&] { to_blocked(a.data(), b.data()); }, [&] { to_nhwc(b.data(), a.data()); }});
        std::string dims = std::to_string(t.batch) + "x" + std::to_string(t.channels) + "x" + std::to_string(t.size) +
                           "x" + std::to_string(t.size);
        std::string name(est::layout_name(blocked));
        rows.push_back(
            {"reorder", std::string(t.name) + " " + dims, t.batch, "nhwc->" + name, times[0], 0.0, "oneDNN reorder"});
        rows.push_back(
            {"reorder", std::string(t.name) + " " + dims, t.batch, name + "->nhwc", times[1], 0.0, "oneDNN reorder"});
    }
}

// ---- Pooling ----

/// Max pooling 2x2, stride 2, over batches of (H, H, C) examples in layout `l`: oneDNN's primitives
/// (forward with their workspace, backward) against est's kernel (forward keeping its argmax,
/// backward), at batch 64 in training and 256 in inference. Both must give the same values first.
template <std::size_t H, std::size_t C>
void pooling(char const* name, est::layout l, std::vector<row>& rows,
             std::vector<std::pair<std::string, double>>& checks, est::random_engine& rng) {
    using geometry = est::window_geometry<H, H, C, C, 2, 2, 0, 0, H / 2, H / 2>;
    constexpr dnnl_dims_t two = {2, 2}, none = {0, 0};
    std::string label =
        std::string(name) + " " + (l == est::layout::canonical ? "nhwc" : std::string(est::layout_name(l)));
    for (bool training : {true, false}) {
        std::size_t batch = training ? train_batch : inference_batch;
        auto source = dnn::activation_desc(batch, C, H, H, dnn::tag_of(l));
        auto destination = dnn::activation_desc(batch, C, H / 2, H / 2, dnn::tag_of(l));
        auto attributes = dnn::make_attributes();
        dnnl_pooling_v2_desc_t forward_op;
        dnn::check(
            dnnl_pooling_v2_forward_desc_init(&forward_op, training ? dnnl_forward_training : dnnl_forward_inference,
                                              dnnl_pooling_max, &source, &destination, two, two, none, none, none),
            "a pooling");
        auto forward_pd = dnn::make_primitive_desc(forward_op, attributes.get(), "a pooling");
        auto forward = dnn::make_primitive(forward_pd.get(), "a pooling");
        auto workspace_desc = dnn::queried(forward_pd.get(), dnnl_query_workspace_md);
        std::size_t scratchpad = dnn::bytes(dnn::queried(forward_pd.get(), dnnl_query_scratchpad_md));
        dnn::primitive_desc backward_pd;
        dnn::primitive backward;
        if (training) {
            dnnl_pooling_v2_desc_t backward_op;
            dnn::check(dnnl_pooling_v2_backward_desc_init(&backward_op, dnnl_pooling_max, &source, &destination, two,
                                                          two, none, none, none),
                       "a pooling");
            backward_pd = dnn::make_primitive_desc(backward_op, attributes.get(), "a pooling", forward_pd.get());
            backward = dnn::make_primitive(backward_pd.get(), "a pooling");
            scratchpad = std::max(scratchpad, dnn::bytes(dnn::queried(backward_pd.get(), dnnl_query_scratchpad_md)));
        }
        dnn::memory x_memory(source), y_memory(destination), workspace_memory(workspace_desc),
            scratchpad_memory = dnn::scratchpad_memory(scratchpad);
        auto x = random_buffer(source, rng), dy = random_buffer(destination, rng);
        auto y = buffer_for(destination), dx = buffer_for(source), workspace = buffer_for(workspace_desc);
        host_buffer<float> scratch(dnn::floats(scratchpad));

        auto onednn_forward = [&] {
            dnn::execute<4>(forward,
                            {{{DNNL_ARG_SRC, x_memory.bind(x.data())},
                              {DNNL_ARG_DST, y_memory.bind(y.data())},
                              {DNNL_ARG_WORKSPACE, workspace_memory.bind(workspace.data())},
                              {DNNL_ARG_SCRATCHPAD, scratchpad_memory.bind(scratch.data())}}},
                            "a pooling's forward pass");
        };
        auto onednn_backward = [&] {
            dnn::execute<4>(backward,
                            {{{DNNL_ARG_DIFF_DST, y_memory.bind(dy.data())},
                              {DNNL_ARG_DIFF_SRC, x_memory.bind(dx.data())},
                              {DNNL_ARG_WORKSPACE, workspace_memory.bind(workspace.data())},
                              {DNNL_ARG_SCRATCHPAD, scratchpad_memory.bind(scratch.data())}}},
                            "a pooling's backward pass");
        };
        est::detail::direct_pooling<est::host, geometry, est::pooling_kind::max> kernel;
        est::batch_view<float const, est::shape<H, H, C>> x_view{x.data(), batch, l};
        est::batch_view<float, est::shape<H / 2, H / 2, C>> dy_view{dy.data(), batch, l};
        float const* est_y = nullptr;
        float const* est_dx = nullptr;
        auto est_forward = [&] { est_y = kernel.forward(x_view, training).data; };
        auto est_backward = [&] { est_dx = kernel.backward(x_view, dy_view).data; };

        auto check = [&](std::string const& what, float const* a, float const* b, std::size_t n) {
            double difference = max_abs_difference(a, b, n);
            checks.emplace_back(what, difference);
            if (difference != 0.0)
                throw est::error("est's pooling and oneDNN's differ on " + what + " by " + std::to_string(difference));
        };
        std::string pass = training ? "forward_training" : "forward_inference";
        onednn_forward();
        est_forward();
        check(label + " " + pass, y.data(), est_y, y.size());
        auto times = compare({onednn_forward, est_forward});
        rows.push_back(
            {"pooling", label + " " + pass, batch, "oneDNN", times[0], 0.0, implementation(forward_pd.get())});
        rows.push_back({"pooling", label + " " + pass, batch, "est", times[1], 0.0, "est direct_pooling"});
        if (training) {
            onednn_backward();
            est_backward();
            check(label + " backward", dx.data(), est_dx, dx.size());
            times = compare({onednn_backward, est_backward});
            rows.push_back(
                {"pooling", label + " backward", batch, "oneDNN", times[0], 0.0, implementation(backward_pd.get())});
            rows.push_back({"pooling", label + " backward", batch, "est", times[1], 0.0, "est direct_pooling"});
        }
    }
}

// ---- Matrix products ----

/// A dense layer's forward product y (rows, units) = x K^T, K stored (units, inputs), on `e` in the
/// form it runs faster (transposed_product_faster_on: K x^T into y, as est::dense then transposes
/// it in its bias pass).
void forward_product(est::host::gemm_engine e, std::size_t rows, std::size_t inputs, std::size_t units, float const* x,
                     float const* kernel, float* y) {
    if (est::host::transposed_product_faster_on(e, rows, units, inputs))
        est::host::gemm_on(e, false, true, units, rows, inputs, 1.0f, kernel, x, 0.0f, y);
    else
        est::host::gemm_on(e, false, true, rows, units, inputs, 1.0f, x, kernel, 0.0f, y);
}

/// A dense layer's training products at `batch` (inputs -> units, its kernel stored in `order`) on
/// oneDNN's sgemm and on est's product (host/matrix_product.hpp), in turns: the forward product and,
/// in training, the kernel's gradient, the input gradient and the bias gradient ones^T dy. Stored
/// (units, inputs), as est::dense keeps it where the sgemm runs every pass: the forward product in
/// the form each engine runs faster (transposed_product_faster_on), dy^T x and dy K. Stored (inputs,
/// units), as est::dense keeps the MLP's first two kernels where oneDNN's matmul runs its inference
/// (AVX-512): x K, x^T dy and dy K^T.
void matrix_products(char const* name, std::size_t inputs, std::size_t units, std::size_t batch, bool training,
                     std::vector<row>& rows, est::random_engine& rng,
                     est::kernel_order order = est::kernel_order::units_major) {
    using engine = est::host::gemm_engine;
    host_buffer<float> x(batch * inputs), kernel(units * inputs), dy(batch * units), ones(batch), y(batch * units),
        kernel_gradient(units * inputs), input_gradient(batch * inputs), bias_gradient(units);
    for (auto* values : {&x, &kernel, &dy})
        for (std::size_t i = 0; i < values->size(); ++i) values->data()[i] = rng.normal();
    for (std::size_t i = 0; i < batch; ++i) ones.data()[i] = 1.0f;
    double b = double(batch), in = double(inputs), u = double(units);
    struct pass {
        char const* name;
        std::function<void(engine)> run;
        double flops;
    };
    bool by_inputs = order == est::kernel_order::inputs_major;
    std::vector<pass> passes{
        {"forward",
         [&](engine e) {
             if (by_inputs)
                 est::host::gemm_on(e, false, false, batch, units, inputs, 1.0f, x.data(), kernel.data(), 0.0f,
                                    y.data());
             else
                 forward_product(e, batch, inputs, units, x.data(), kernel.data(), y.data());
         },
         2.0 * b * in * u},
        {"kernel gradient",
         [&](engine e) {
             if (by_inputs)
                 est::host::gemm_on(e, true, false, inputs, units, batch, 1.0f, x.data(), dy.data(), 0.0f,
                                    kernel_gradient.data());
             else
                 est::host::gemm_on(e, true, false, units, inputs, batch, 1.0f, dy.data(), x.data(), 0.0f,
                                    kernel_gradient.data());
         },
         2.0 * b * in * u},
        {"input gradient",
         [&](engine e) {
             est::host::gemm_on(e, false, by_inputs, batch, inputs, units, 1.0f, dy.data(), kernel.data(), 0.0f,
                                input_gradient.data());
         },
         2.0 * b * in * u},
        {"bias gradient",
         [&](engine e) {
             est::host::gemm_on(e, false, false, 1, units, batch, 1.0f, ones.data(), dy.data(), 0.0f,
                                bias_gradient.data());
         },
         2.0 * b * u},
    };
    if (!training)
        passes.resize(1);
    std::string op = std::string(name) + " " + std::to_string(inputs) + "->" + std::to_string(units) +
                     (by_inputs ? " (K stored (inputs, units))" : "");
    for (auto const& p : passes) {
        auto times = compare({[&] { p.run(engine::onednn_sgemm); }, [&] { p.run(engine::est_product); }});
        char ratio[64];
        std::snprintf(ratio, sizeof ratio, "sgemm's median time / est's: %.2f",
                      times[0].median_ms / times[1].median_ms);
        rows.push_back({"product", op + " " + p.name, batch, "oneDNN sgemm", times[0], p.flops, "dnnl_sgemm"});
        rows.push_back({"product", op + " " + p.name, batch, "est product", times[1], p.flops, ratio});
    }
}

/// The MLP's inference pass at batch 256 against its three products alone, in turns: the whole
/// model (est::sequential, its slices of the batch each on one thread, as est::predict runs it;
/// also with every kernel stored (units, inputs)) and, in the same slices, only the forward
/// products of its dense layers (784->256, 256->128, 128->10) on oneDNN's sgemm and on est's
/// product, each in the form it runs faster. Where the whole pass is little slower than its
/// products, it runs at the speed of the products' engine. Also the model frozen (est::frozen):
/// its dense layers' matmuls read their kernels in the blocked layout the matmul picks; and frozen
/// with the output layer on the matmul too (est runs it on the sgemm).
void mlp_inference_products(std::vector<row>& rows, est::random_engine& rng) {
    using engine = est::host::gemm_engine;
    constexpr std::size_t batch = inference_batch;
    constexpr std::array<std::size_t, 4> widths{784, 256, 128, 10};  // the input's, then each layer's units
    fashion_mnist::mlp net;
    net.initialize(1);
    // The MLP as est ran it before its kernels were stored (inputs, units) where the matmul runs.
    fashion_mnist::mlp::on<test::host_with_kernels<est::kernel_order::units_major>> net_by_units;
    net_by_units.initialize(1);
    est::batch_tensor<float, est::shape<28, 28, 1>> images(batch);
    for (std::size_t i = 0; i < images.size(); ++i) images.data()[i] = rng.normal();
    std::array<host_buffer<float>, 4> activations{
        host_buffer<float>(batch * widths[0]), host_buffer<float>(batch * widths[1]),
        host_buffer<float>(batch * widths[2]), host_buffer<float>(batch * widths[3])};
    std::array<host_buffer<float>, 3> kernels{host_buffer<float>(widths[1] * widths[0]),
                                              host_buffer<float>(widths[2] * widths[1]),
                                              host_buffer<float>(widths[3] * widths[2])};
    for (auto* values : {&activations[0], &kernels[0], &kernels[1], &kernels[2]})
        for (std::size_t i = 0; i < values->size(); ++i) values->data()[i] = 0.05f * rng.normal();
    std::size_t slices = est::host::inference_slices(batch);
    double flops = 0.0;
    for (std::size_t l = 0; l < 3; ++l) flops += 2.0 * double(batch * widths[l] * widths[l + 1]);
    // Each slice's products on its rows.
    auto products = [&](engine e) {
        est::host::for_each_slice(slices, [&](std::size_t s) {
            std::size_t first = batch * s / slices, count = batch * (s + 1) / slices - first;
            for (std::size_t l = 0; l < 3; ++l) {
                std::size_t inputs = widths[l], units = widths[l + 1];
                float const* x = activations[l].data() + first * inputs;
                float* y = activations[l + 1].data() + first * units;
                forward_product(e, count, inputs, units, x, kernels[l].data(), y);
            }
        });
    };
    est::frozen<fashion_mnist::mlp> served(net);
    // Frozen with every layer on the matmul, the output layer (10 units) too.
    using all_matmul = fashion_mnist::mlp::on<test::host_with_kernels<est::kernel_order::inputs_major, true>>;
    all_matmul net_all_matmul;
    net_all_matmul.initialize(1);
    est::frozen<all_matmul> served_all_matmul(net_all_matmul);
    volatile float sink = 0.0f;
    auto times = compare({[&] { sink = net(images, est::predict).value.data[0]; },
                          [&] { sink = net_by_units(images, est::predict).value.data[0]; },
                          [&] { sink = served(images, est::predict).data[0]; },
                          [&] { sink = served_all_matmul(images, est::predict).data[0]; },
                          [&] { products(engine::onednn_sgemm); }, [&] { products(engine::est_product); }});
    std::string op = "MLP inference in " + std::to_string(slices) + " slice" + (slices == 1 ? "" : "s");
    char const* variants[] = {"est::predict",    "est::predict oi", "est::frozen",
                              "frozen, matmuls", "oneDNN sgemm",    "est product"};
    char const* what[] = {"the whole model",          "the whole model, kernels (units, inputs)",
                          "the whole model, frozen",  "frozen, the output layer on the matmul too",
                          "its three products alone", "its three products alone"};
    for (std::size_t v = 0; v < std::size(variants); ++v) {
        char text[96];
        std::snprintf(text, sizeof text, "%s, %.0f images/s", what[v], double(batch) / times[v].median_ms * 1e3);
        rows.push_back({"slices", op, batch, variants[v], times[v], flops, text});
    }
}

// ---- Dense layers ----

/// A dense layer (inputs -> units, activation Act) at `batch`: est's way (host::gemm, then the bias
/// and activation pass; db = ones^T dy) with the kernel stored (units, inputs) ("est oi": y = x K^T,
/// dK = dy^T x, dx = dy K) and stored (inputs, units), as checkpoints have it ("est io": y = x K,
/// dK = x^T dy, dx = dy K^T), against oneDNN's inner product (bias and Act fused as a post-op;
/// weights `any`, reordered from est's kernel); forward passes also on est's fused matmul
/// (host::dense_product) over either kernel. "est's choice" marks the order est::dense stores the
/// kernel in (dense_product::preferred_order) and the form it runs.
template <class Act>
void dense(char const* name, std::size_t inputs, std::size_t units, std::size_t batch, bool training,
           std::vector<row>& rows, std::vector<std::pair<std::string, double>>& checks, est::random_engine& rng) {
    auto source = dnn::memory_desc<2>({dnnl_dim_t(batch), dnnl_dim_t(inputs)}, dnnl_ab);
    auto destination = dnn::memory_desc<2>({dnnl_dim_t(batch), dnnl_dim_t(units)}, dnnl_ab);
    auto weights_any = dnn::memory_desc<2>({dnnl_dim_t(units), dnnl_dim_t(inputs)}, dnnl_format_tag_any);
    // est's kernel is (inputs, units) row-major: oneDNN's (units, inputs) weights in "ba" order.
    auto kernel_desc = dnn::memory_desc<2>({dnnl_dim_t(units), dnnl_dim_t(inputs)}, dnnl_ba);
    auto bias_desc = dnn::memory_desc<1>({dnnl_dim_t(units)}, dnnl_a);
    auto kernel_oi_desc = dnn::memory_desc<2>({dnnl_dim_t(units), dnnl_dim_t(inputs)}, dnnl_ab);
    auto x = random_buffer(source, rng), kernel = random_buffer(kernel_desc, rng), bias = random_buffer(bias_desc, rng);
    auto kernel_oi = buffer_for(kernel_oi_desc);
    dnn::reorder(kernel_desc, kernel_oi_desc)(kernel.data(), kernel_oi.data());
    auto y = buffer_for(destination), ip_y = buffer_for(destination);

    std::string op = std::string(name) + " " + std::to_string(inputs) + "->" + std::to_string(units);
    double flops = 2.0 * double(batch) * double(inputs) * double(units);
    bool transposed = est::host::transposed_product_faster(batch, units, inputs);
    est::host::dense_product fused(inputs, units, Act::fused, est::kernel_order::units_major),
        fused_io(inputs, units, Act::fused, est::kernel_order::inputs_major);
    bool stored_io = est::host::dense_product::preferred_order(inputs, units) == est::kernel_order::inputs_major;
    auto add = [&](char const* pass, std::function<void()> est_oi, std::function<void()> est_io,
                   std::function<void()> onednn_pass, std::string const& info,
                   std::vector<std::function<void()>> fused_passes = {}) {
        std::vector<std::function<void()>> runs{est_oi, est_io, onednn_pass};
        runs.insert(runs.end(), fused_passes.begin(), fused_passes.end());
        auto times = compare(runs);
        bool forward = std::string_view(pass).starts_with("forward");
        auto chosen = [&](bool io, bool fused_pass) {
            bool is_choice = io == stored_io && fused_pass == (!training && fused.faster_at(batch));
            return std::string(is_choice ? ", est's choice" : "");
        };
        rows.push_back({"dense", op + " " + pass, batch, "est oi", times[0], flops,
                        std::string("est host::gemm, kernel (units, inputs)") +
                            (transposed && forward ? ", product as K x^T" : "") + chosen(false, false)});
        rows.push_back({"dense", op + " " + pass, batch, "est io", times[1], flops,
                        "est host::gemm, kernel (inputs, units)" + chosen(true, false)});
        rows.push_back({"dense", op + " " + pass, batch, "oneDNN", times[2], flops, info});
        if (fused_passes.size() == 2) {
            rows.push_back({"dense", op + " " + pass, batch, "est matmul oi", times[3], flops,
                            "est host::dense_product (oneDNN matmul), kernel (units, inputs)" + chosen(false, true)});
            rows.push_back({"dense", op + " " + pass, batch, "est matmul io", times[4], flops,
                            "est host::dense_product (oneDNN matmul), kernel (inputs, units)" + chosen(true, true)});
        }
    };

    auto forward_op_kind = training ? dnnl_forward_training : dnnl_forward_inference;
    dnnl_inner_product_desc_t forward_op;
    dnn::check(dnnl_inner_product_forward_desc_init(&forward_op, forward_op_kind, &source, &weights_any, &bias_desc,
                                                    &destination),
               name);
    auto forward_pd =
        dnn::make_primitive_desc(forward_op, dnn::make_attributes(dnn::algorithm_of(Act::fused)).get(), name);
    auto forward = dnn::make_primitive(forward_pd.get(), name);
    auto weights = dnn::queried(forward_pd.get(), dnnl_query_weights_md);
    auto forward_scratchpad = dnn::queried(forward_pd.get(), dnnl_query_scratchpad_md);
    auto w = buffer_for(weights), forward_scratch = buffer_for(forward_scratchpad);
    dnn::reorder(kernel_desc, weights)(kernel.data(), w.data());
    dnn::memory src_memory(source), weights_memory(weights), bias_memory(bias_desc), dst_memory(destination),
        forward_scratchpad_memory = dnn::scratchpad_memory(dnn::bytes(forward_scratchpad));

    host_buffer<float> product(batch * units);
    auto est_forward = [&] {  // as est::dense does it
        if (transposed) {
            est::host::gemm(false, true, units, batch, inputs, 1.0f, kernel_oi.data(), x.data(), 0.0f, product.data());
            est::host::for_each_2d(
                batch, units,
                est::detail::bias_activation<Act, true>{y.data(), bias.data(), units, product.data(), batch});
        } else {
            est::host::gemm(false, true, batch, units, inputs, 1.0f, x.data(), kernel_oi.data(), 0.0f, y.data());
            est::host::for_each_2d(batch, units, est::detail::bias_activation<Act>{y.data(), bias.data(), units});
        }
    };
    auto est_forward_io = [&] {
        est::host::gemm(false, false, batch, units, inputs, 1.0f, x.data(), kernel.data(), 0.0f, y.data());
        est::host::for_each_2d(batch, units, est::detail::bias_activation<Act>{y.data(), bias.data(), units});
    };
    auto ip_forward = [&] {
        dnn::execute<5>(forward,
                        {{{DNNL_ARG_SRC, src_memory.bind(x.data())},
                          {DNNL_ARG_WEIGHTS, weights_memory.bind(w.data())},
                          {DNNL_ARG_BIAS, bias_memory.bind(bias.data())},
                          {DNNL_ARG_DST, dst_memory.bind(ip_y.data())},
                          {DNNL_ARG_SCRATCHPAD, forward_scratchpad_memory.bind(forward_scratch.data())}}},
                        "an inner product");
    };
    auto fused_y = buffer_for(destination), fused_io_y = buffer_for(destination);
    auto fused_forward = [&] { fused.forward(x.data(), batch, kernel_oi.data(), bias.data(), fused_y.data()); };
    auto fused_io_forward = [&] { fused_io.forward(x.data(), batch, kernel.data(), bias.data(), fused_io_y.data()); };
    // The same products summed in other orders: close, not equal.
    est_forward();
    ip_forward();
    fused_forward();
    fused_io_forward();
    checks.emplace_back(op + " forward, batch " + std::to_string(batch),
                        max_abs_difference(y.data(), ip_y.data(), y.size()));
    checks.emplace_back(op + " forward (matmul), batch " + std::to_string(batch),
                        max_abs_difference(y.data(), fused_y.data(), y.size()));
    checks.emplace_back(op + " forward (matmul, kernel (inputs, units)), batch " + std::to_string(batch),
                        max_abs_difference(y.data(), fused_io_y.data(), y.size()));
    add(training ? "forward_training" : "forward_inference", est_forward, est_forward_io, ip_forward,
        implementation(forward_pd.get()) + " wei " + format_name(weights, "oi"), {fused_forward, fused_io_forward});
    if (!training)
        return;

    auto attributes = dnn::make_attributes();
    dnnl_inner_product_desc_t weights_op, data_op;
    dnn::check(
        dnnl_inner_product_backward_weights_desc_init(&weights_op, &source, &weights_any, &bias_desc, &destination),
        name);
    dnn::check(dnnl_inner_product_backward_data_desc_init(&data_op, &source, &weights_any, &destination), name);
    auto weights_pd = dnn::make_primitive_desc(weights_op, attributes.get(), name, forward_pd.get());
    auto data_pd = dnn::make_primitive_desc(data_op, attributes.get(), name, forward_pd.get());
    auto backward_weights = dnn::make_primitive(weights_pd.get(), name);
    auto backward_data = dnn::make_primitive(data_pd.get(), name);
    auto diff_weights = dnn::queried(weights_pd.get(), dnnl_query_diff_weights_md);
    auto data_weights = dnn::queried(data_pd.get(), dnnl_query_weights_md);
    std::size_t scratchpad = std::max(dnn::bytes(dnn::queried(weights_pd.get(), dnnl_query_scratchpad_md)),
                                      dnn::bytes(dnn::queried(data_pd.get(), dnnl_query_scratchpad_md)));
    dnn::memory diff_weights_memory(diff_weights), data_weights_memory(data_weights),
        scratchpad_memory = dnn::scratchpad_memory(scratchpad);
    auto dy = random_buffer(destination, rng), wd = buffer_for(data_weights);
    dnn::reorder(kernel_desc, data_weights)(kernel.data(), wd.data());
    auto dk = buffer_for(kernel_desc), db = buffer_for(bias_desc), dx = buffer_for(source);
    auto dw = buffer_for(diff_weights), ip_db = buffer_for(bias_desc), ip_dx = buffer_for(source);
    host_buffer<float> ones(batch), scratch(dnn::floats(scratchpad));
    std::fill(ones.data(), ones.data() + batch, 1.0f);

    add(
        "backward_weights",
        [&] {
            est::host::gemm(false, false, 1, units, batch, 1.0f, ones.data(), dy.data(), 0.0f, db.data());
            est::host::gemm(true, false, units, inputs, batch, 1.0f, dy.data(), x.data(), 0.0f, dk.data());
        },
        [&] {
            est::host::gemm(false, false, 1, units, batch, 1.0f, ones.data(), dy.data(), 0.0f, db.data());
            est::host::gemm(true, false, inputs, units, batch, 1.0f, x.data(), dy.data(), 0.0f, dk.data());
        },
        [&] {
            dnn::execute<5>(backward_weights,
                            {{{DNNL_ARG_SRC, src_memory.bind(x.data())},
                              {DNNL_ARG_DIFF_DST, dst_memory.bind(dy.data())},
                              {DNNL_ARG_DIFF_WEIGHTS, diff_weights_memory.bind(dw.data())},
                              {DNNL_ARG_DIFF_BIAS, bias_memory.bind(ip_db.data())},
                              {DNNL_ARG_SCRATCHPAD, scratchpad_memory.bind(scratch.data())}}},
                            "an inner product's backward weights");
        },
        implementation(weights_pd.get()) + " diff_wei " + format_name(diff_weights, "oi"));
    add(
        "backward_data",
        [&] {
            est::host::gemm(false, false, batch, inputs, units, 1.0f, dy.data(), kernel_oi.data(), 0.0f, dx.data());
        },
        [&] { est::host::gemm(false, true, batch, inputs, units, 1.0f, dy.data(), kernel.data(), 0.0f, dx.data()); },
        [&] {
            dnn::execute<4>(backward_data,
                            {{{DNNL_ARG_DIFF_DST, dst_memory.bind(dy.data())},
                              {DNNL_ARG_WEIGHTS, data_weights_memory.bind(wd.data())},
                              {DNNL_ARG_DIFF_SRC, src_memory.bind(ip_dx.data())},
                              {DNNL_ARG_SCRATCHPAD, scratchpad_memory.bind(scratch.data())}}},
                            "an inner product's backward data");
        },
        implementation(data_pd.get()) + " wei " + format_name(data_weights, "oi"));
}

/// The two forms of a dense layer's forward product with its kernel K stored (units, inputs), y = x K^T
/// and y^T = K x^T, on host::gemm, and the fused matmul (host::dense_product, with a ReLU) over a grid
/// of layer shapes: the measurement behind host::transposed_product_faster and
/// dense_product::faster_at (est's choice at inference). Rows of the "dense forward" section, three
/// per shape.
void dense_forward_forms(std::vector<row>& rows, est::random_engine& rng) {
    for (std::size_t batch : {std::size_t(32), train_batch, inference_batch})
        for (std::size_t inputs : {256, 784, 1024, 3136})
            for (std::size_t units : {10, 64, 256, 1024, 2048}) {
                host_buffer<float> x(batch * inputs), kernel(units * inputs), bias(units), y(batch * units);
                for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform(-1.0f, 1.0f);
                for (std::size_t i = 0; i < kernel.size(); ++i) kernel.data()[i] = rng.uniform(-1.0f, 1.0f);
                for (std::size_t i = 0; i < units; ++i) bias.data()[i] = rng.uniform(-1.0f, 1.0f);
                est::host::dense_product fused(inputs, units, est::post_op::relu, est::kernel_order::units_major);
                auto times = compare({[&] {
                                          est::host::gemm(false, true, batch, units, inputs, 1.0f, x.data(),
                                                          kernel.data(), 0.0f, y.data());
                                      },
                                      [&] {
                                          est::host::gemm(false, true, units, batch, inputs, 1.0f, kernel.data(),
                                                          x.data(), 0.0f, y.data());
                                      },
                                      [&] { fused.forward(x.data(), batch, kernel.data(), bias.data(), y.data()); }});
                std::string op = std::to_string(inputs) + "->" + std::to_string(units);
                double flops = 2.0 * double(batch) * double(inputs) * double(units);
                bool fused_chosen = fused.faster_at(batch);
                bool chosen = !fused_chosen && est::host::transposed_product_faster(batch, units, inputs);
                bool plain_chosen = !fused_chosen && !chosen;
                rows.push_back({"dense forward", op, batch, "x K^T", times[0], flops, plain_chosen ? "est's choice" : ""});
                rows.push_back({"dense forward", op, batch, "K x^T", times[1], flops, chosen ? "est's choice" : ""});
                rows.push_back({"dense forward", op, batch, "matmul", times[2], flops, fused_chosen ? "est's choice" : ""});
            }
}

// ---- Output ----

void print_table(std::vector<row> const& rows, char const* section, char const* title, double peak) {
    std::printf("\n%s\n  %-44s %5s %-14s %9s %9s %8s %6s  %s\n", title, "pass", "batch", "variant", "median ms",
                "min ms", "GFLOP/s", "% peak", "implementation");
    for (auto const& r : rows) {
        if (r.section != section)
            continue;
        std::printf("  %-44s %5zu %-14s %9.3f %9.3f ", r.op.c_str(), r.batch, r.variant.c_str(), r.time.median_ms,
                    r.time.min_ms);
        if (r.flops > 0.0) {
            double gflops = r.flops / r.time.median_ms / 1e6;
            std::printf("%8.1f %5.0f%%", gflops, 100.0 * gflops / peak);
        } else {
            std::printf("%8s %6s", "-", "-");
        }
        std::printf("  %s\n", r.implementation.c_str());
    }
}

/// The "dense forward" rows as tables of time ratios, one line per (batch, inputs), one column per
/// units count: K x^T against x K^T (both on host::gemm), and the fused matmul (which also adds the
/// bias and applies the ReLU) against the faster of the two.
void print_dense_forward_ratios(std::vector<row> const& rows) {
    auto table = [&](char const* title, auto ratio, auto chosen) {
        std::printf("\n%s\n  %-14s units:", title, "batch, inputs");
        std::string line_key;
        for (std::size_t i = 0; i + 2 < rows.size(); ++i) {
            auto const& r = rows[i];
            if (r.section != "dense forward" || r.variant != "x K^T")
                continue;
            std::string inputs = r.op.substr(0, r.op.find("->")), units = r.op.substr(r.op.find("->") + 2);
            std::string key = std::to_string(r.batch) + ", " + inputs;
            if (key != line_key)
                std::printf("\n  %-20s", key.c_str());
            line_key = key;
            std::printf(" %5s %4.2f%s", units.c_str(), ratio(r, rows[i + 1], rows[i + 2]),
                        chosen(r, rows[i + 1], rows[i + 2]) ? "*" : " ");
        }
        std::printf("\n");
    };
    table(
        "Dense forward product, K x^T time / x K^T time (medians; < 1: K x^T faster; * where est computes K x^T)",
        [](row const& plain, row const& transposed, row const&) {
            return transposed.time.median_ms / plain.time.median_ms;
        },
        [](row const&, row const& transposed, row const&) { return !transposed.implementation.empty(); });
    table(
        "Dense forward, fused matmul (bias and ReLU included) time / the faster product's time (medians; < 1: "
        "matmul faster; * where est runs the matmul at inference)",
        [](row const& plain, row const& transposed, row const& fused) {
            return fused.time.median_ms / std::min(plain.time.median_ms, transposed.time.median_ms);
        },
        [](row const&, row const&, row const& fused) { return !fused.implementation.empty(); });
}

std::string json(std::vector<row> const& rows, std::vector<std::pair<std::string, double>> const& checks,
                 peak_meter const& peak) {
    char buffer[1024];
    std::snprintf(buffer, sizeof buffer,
                  "{\"benchmark\":\"host_primitives\",\"threads\":%d,\"fp32_peak_gflops\":%.1f,\"peak_rounds\":%d,"
                  "\"warmups\":%d,\"timed_calls\":%d,\"rows\":[",
                  est::host::threads(), peak.gflops, peak.rounds, warmups, timed_calls);
    std::string out = buffer;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto const& r = rows[i];
        std::snprintf(buffer, sizeof buffer,
                      "%s{\"section\":\"%s\",\"op\":\"%s\",\"batch\":%zu,\"variant\":\"%s\",\"median_ms\":%.4f,"
                      "\"min_ms\":%.4f,",
                      i ? "," : "", r.section.c_str(), r.op.c_str(), r.batch, r.variant.c_str(), r.time.median_ms,
                      r.time.min_ms);
        out += buffer;
        if (r.flops > 0.0) {
            double gflops = r.flops / r.time.median_ms / 1e6;
            std::snprintf(buffer, sizeof buffer, "\"gflop_per_call\":%.4f,\"gflops\":%.2f,\"peak_fraction\":%.4f,",
                          r.flops / 1e9, gflops, gflops / peak.gflops);
            out += buffer;
        }
        out += "\"implementation\":\"" + r.implementation + "\"}";
    }
    out += "],\"max_abs_differences\":{";
    for (std::size_t i = 0; i < checks.size(); ++i) {
        std::snprintf(buffer, sizeof buffer, "%s\"%s\":%.3g", i ? "," : "", checks[i].first.c_str(), checks[i].second);
        out += buffer;
    }
    return out + "}}";
}

/// Every section but the matrix products'.
void all_but_products(std::vector<row>& rows, std::vector<std::pair<std::string, double>>& checks, peak_meter& peak,
                      est::random_engine& rng) {
    convolutions(rows, rng);
    peak.measure();
    reorders(rows, rng);
    pooling<28, 32>("pool1", est::layout::canonical, rows, checks, rng);
    pooling<28, 32>("pool1", blocked, rows, checks, rng);
    pooling<28, 32>("pool1", est::layout::channel_blocks_16, rows, checks, rng);
    pooling<14, 64>("pool2", blocked, rows, checks, rng);
    pooling<14, 64>("pool2", est::layout::channel_blocks_16, rows, checks, rng);
    pooling<14, 64>("pool2", est::layout::canonical, rows, checks, rng);
    peak.measure();
    dense<est::relu>("dense1", 3136, 1024, train_batch, true, rows, checks, rng);
    dense<est::linear>("dense2", 1024, 10, train_batch, true, rows, checks, rng);
    dense<est::relu>("dense1", 3136, 1024, inference_batch, false, rows, checks, rng);
    dense<est::relu>("mlp dense1", 784, 256, train_batch, true, rows, checks, rng);
    dense<est::relu>("mlp dense2", 256, 128, train_batch, true, rows, checks, rng);
    dense<est::relu>("mlp dense1", 784, 256, inference_batch, false, rows, checks, rng);
    peak.measure();
    dense_forward_forms(rows, rng);
}

}  // namespace

int main(int argc, char** argv) {
    // `host_primitives products` runs the matrix products' section alone.
    bool all = argc < 2 || std::string_view(argv[1]) != "products";
    est::random_engine rng(7);
    std::vector<row> rows;
    std::vector<std::pair<std::string, double>> checks;
    peak_meter peak;
    peak.measure();
    if (all)
        all_but_products(rows, checks, peak, rng);
    bool products = est::detail::matrix_product_runs_on_this_cpu();
    if (products) {
        peak.measure();
        for (bool training : {true, false}) {
            std::size_t batch = training ? train_batch : inference_batch;
            matrix_products("mlp dense1", 784, 256, batch, training, rows, rng);
            matrix_products("mlp dense2", 256, 128, batch, training, rows, rng);
            matrix_products("mlp dense3", 128, 10, batch, training, rows, rng);
            matrix_products("dense1", 3136, 1024, batch, training, rows, rng);
            matrix_products("dense2", 1024, 10, batch, training, rows, rng);
        }
        for (auto [name, inputs, units] : {std::tuple("mlp dense1", 784, 256), std::tuple("mlp dense2", 256, 128)})
            matrix_products(name, std::size_t(inputs), std::size_t(units), train_batch, true, rows, rng,
                            est::kernel_order::inputs_major);
        peak.measure();
        mlp_inference_products(rows, rng);
    }

    std::printf(
        "host_primitives: %d OpenMP threads, FP32 peak %.1f GFLOP/s (best of %d rounds of an FMA loop), %d "
        "timed calls after %d warm-ups, the alternatives of each pass in turns; GFLOP/s from the median\n",
        est::host::threads(), peak.gflops, peak.rounds, timed_calls, warmups);
    std::printf("convolution GFLOP/s count the window taps inside the input, which oneDNN computes:");
    for (auto const& layer : cnn_convolutions) std::printf(" %s %.1f%%", layer.name, 100.0 * layer.nominal_share());
    std::printf(" of the nominal MACs (every tap)\n");
    print_table(rows, "convolution",
                "Convolutions, oneDNN (variant: the activation layouts asked for, source/destination; weights "
                "`any`; bias, relu fused into the forward pass; the backward passes on the forward pass's "
                "activation layouts, as est builds them)",
                peak.gflops);
    print_table(rows, "reorder", "Reorders between layouts", peak.gflops);
    print_table(rows, "pooling", "Max pooling 2x2 stride 2 (forward in training keeps the workspace/argmax)",
                peak.gflops);
    print_table(rows, "dense", "Dense layers (est: bias and activation as a pass after the product)", peak.gflops);
    print_dense_forward_ratios(rows);
    if (products)
        print_table(rows, "product",
                    "Matrix products of the dense layers' passes, oneDNN's sgemm against est's product "
                    "(host/matrix_product.hpp), each in the forward form it runs faster; the MLP's first two "
                    "layers in training also with their kernels stored (inputs, units), as on AVX-512",
                    peak.gflops);
    if (products)
        print_table(rows, "slices",
                    "The MLP's inference pass against its dense layers' products alone, in the same slices of "
                    "the batch (each on one thread)",
                    peak.gflops);
    std::printf("\nmax abs differences (pooling must be 0):");
    for (auto const& [what, difference] : checks) std::printf(" %s %.3g;", what.c_str(), difference);
    std::printf("\n%s\n", json(rows, checks, peak).c_str());
}
