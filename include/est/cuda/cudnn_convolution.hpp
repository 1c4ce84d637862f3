// 2-D convolution through cuDNN's convolution primitives (forward, backward data, backward filter),
// with activations in NHWC and the kernel stored (filters, window, window, channels), cuDNN's KRSC.
// The bias and the post-op are est's fused pass after the forward primitive, and the bias gradient
// est's GEMM, as in the im2col convolution. FP32 math only (CUDNN_FMA_MATH: no TF32 tensor cores),
// so that results match the host back end's within the parity suite's tolerance, and algorithms
// cuDNN reports deterministic, so that they do not change from run to run, where one fits (else
// cuDNN's first that does: a convolution without a deterministic algorithm still runs). cuDNN's
// legacy API pads symmetrically: geometries whose `same` padding is asymmetric use the im2col
// convolution instead (cudnn_fits). Compiled only with EST_CUDNN (est's CMake defines it where
// cuDNN is found).
#pragma once

#if !defined(__CUDACC__)
#error "est/cuda/cudnn_convolution.hpp is compiled by nvcc only"
#endif

#include <est/core/buffer.hpp>
#include <est/core/error.hpp>
#include <est/core/layout.hpp>
#include <est/core/parameter.hpp>
#include <est/core/primitive.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/kernels/column_sums.hpp>
#include <est/kernels/gemm_convolution.hpp>
#include <est/kernels/transposed_matrix.hpp>

#include <cudnn.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace est::detail {

/// Whether cuDNN's symmetric padding describes geometry G.
template <class G>
inline constexpr bool cudnn_fits = G::pad_top == G::pad_bottom&& G::pad_left == G::pad_right;

/// Throws an est::error naming the call, the device, cuDNN's status and its last message, and the
/// cuDNN versions est was built with and runs on (a mismatch, or a sub-library that does not load, is
/// the likely failure on a new machine).
template <class System>
void cudnn_check(cudnnStatus_t status, std::string const& what) {
    if (status == CUDNN_STATUS_SUCCESS)
        return;
    std::array<char, 512> message{};
    cudnnGetLastErrorString(message.data(), message.size());
    throw error("est::cuda: cuDNN " + what + " failed on " + System::describe() + ": " + cudnnGetErrorString(status) +
                (message[0] ? " (" + std::string(message.data()) + ")" : std::string()) + "; cuDNN " +
                std::to_string(cudnnGetVersion()) + " loaded, est built with " + std::to_string(CUDNN_VERSION));
}

/// The cuDNN handle of the CUDA back end's stream, created on first use.
template <class System>
cudnnHandle_t cudnn_handle() {
    static cudnnHandle_t handle = [] {
        cudnnHandle_t h = nullptr;
        cudnn_check<System>(cudnnCreate(&h), "creating a handle");
        cudnn_check<System>(cudnnSetStream(h, System::stream()), "binding a handle to the stream");
        return h;
    }();
    return handle;
}

/// A convolution over G with bias and Op fused, on the CUDA back end B, with host/convolution.hpp's
/// contract.
template <class B, class G, post_op Op>
class cudnn_convolution {
    using system = typename B::system_type;
    using space = typename B::memory_space;
    static constexpr std::size_t patch = G::window * G::window * G::channels;

public:
    using input_shape = shape<G::height, G::width, G::channels>;
    using output_shape = shape<G::out_height, G::out_width, G::out_channels>;

    cudnn_convolution() = default;
    cudnn_convolution(cudnn_convolution const&) = delete;
    cudnn_convolution& operator=(cudnn_convolution const&) = delete;
    ~cudnn_convolution() {
        for (auto& p : plans_) p.release();
    }

    /// (window, window, channels, filters) in checkpoints, (filters, window, window, channels) here.
    parameter_layout const& weights_layout() const { return weights_; }

    batch_view<float const, output_shape, space> forward(batch_view<float const, input_shape, space> x,
                                                         float const* weights, float const* bias, bool) {
        check_canonical(x.layout);
        plan& p = plan_for(x.batch);
        std::size_t rows = x.batch * G::out_height * G::out_width;
        output_.resize(rows * G::out_channels);
        float one = 1.0f, zero = 0.0f;
        cudnn_check<system>(
            cudnnConvolutionForward(cudnn_handle<system>(), &one, p.input, x.data, p.filter, weights, p.convolution,
                                    p.forward, workspace_.data(), workspace_bytes_, &zero, p.output, output_.data()),
            "convolution forward (" + name() + ")");
        B::for_each_2d(rows, G::out_channels, bias_post_op<Op>{output_.data(), bias, G::out_channels});
        return {output_.data(), x.batch};
    }

    batch_view<float, input_shape, space> backward(batch_view<float const, input_shape, space> x,
                                                   batch_view<float, output_shape, space> dy, float const* weights,
                                                   float* weights_gradient, float* bias_gradient,
                                                   bool need_input_gradient) {
        plan& p = plan_for(x.batch);
        std::size_t rows = x.batch * G::out_height * G::out_width;
        bias_gradient_(dy.data, rows, G::out_channels, bias_gradient);
        float one = 1.0f, zero = 0.0f;
        cudnn_check<system>(cudnnConvolutionBackwardFilter(cudnn_handle<system>(), &one, p.input, x.data, p.output,
                                                           dy.data, p.convolution, p.backward_filter, workspace_.data(),
                                                           workspace_bytes_, &zero, p.filter, weights_gradient),
                            "convolution backward filter (" + name() + ")");
        if (!need_input_gradient)
            return {};
        input_gradient_.resize(x.size());
        cudnn_check<system>(cudnnConvolutionBackwardData(cudnn_handle<system>(), &one, p.filter, weights, p.output,
                                                         dy.data, p.convolution, p.backward_data, workspace_.data(),
                                                         workspace_bytes_, &zero, p.input, input_gradient_.data()),
                            "convolution backward data (" + name() + ")");
        return {input_gradient_.data(), x.batch};
    }

private:
    /// Descriptors and algorithms for one batch size.
    struct plan {
        std::size_t batch = 0;
        cudnnTensorDescriptor_t input = nullptr, output = nullptr;
        cudnnFilterDescriptor_t filter = nullptr;
        cudnnConvolutionDescriptor_t convolution = nullptr;
        cudnnConvolutionFwdAlgo_t forward{};
        cudnnConvolutionBwdDataAlgo_t backward_data{};
        cudnnConvolutionBwdFilterAlgo_t backward_filter{};

        void release() {
            if (input)
                cudnnDestroyTensorDescriptor(input);
            if (output)
                cudnnDestroyTensorDescriptor(output);
            if (filter)
                cudnnDestroyFilterDescriptor(filter);
            if (convolution)
                cudnnDestroyConvolutionDescriptor(convolution);
            input = output = nullptr, filter = nullptr, convolution = nullptr;
        }
    };

    static constexpr std::size_t plans_kept = 4;
    static constexpr std::size_t workspace_limit = std::size_t(512) << 20;

    static std::string name() {
        return std::to_string(G::window) + "x" + std::to_string(G::window) + ", " + std::to_string(G::channels) +
               " to " + std::to_string(G::out_channels) + " channels";
    }

    static void check_canonical(layout l) {
        if (l != layout::canonical)
            throw error("est::cuda: a convolution reads NHWC; it was given " + std::string(layout_name(l)));
    }

    /// The first deterministic algorithm of cuDNN's ranking whose workspace fits the limit (so that
    /// two runs give the same weights), else the first that fits at all; never one on tensor cores
    /// (TF32).
    template <class Perf>
    static auto pick(std::array<Perf, 16> const& ranked, int returned, char const* what) {
        auto fits = [&](Perf const& p) {
            return p.status == CUDNN_STATUS_SUCCESS && p.memory <= workspace_limit &&
                   p.mathType != CUDNN_TENSOR_OP_MATH && p.mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
        };
        for (int i = 0; i < returned; ++i)
            if (fits(ranked[i]) && ranked[i].determinism == CUDNN_DETERMINISTIC)
                return ranked[i];
        for (int i = 0; i < returned; ++i)
            if (fits(ranked[i]))
                return ranked[i];
        throw error("est::cuda: cuDNN has no FP32 " + std::string(what) + " algorithm for a convolution (" + name() +
                    ") within " + std::to_string(workspace_limit >> 20) + " MiB of workspace");
    }

    plan& plan_for(std::size_t batch) {
        for (auto& p : plans_)
            if (p.batch == batch)
                return p;
        if (plans_.size() == plans_kept) {
            plans_.front().release();
            plans_.erase(plans_.begin());
        }
        plans_.push_back(make_plan(batch));
        return plans_.back();
    }

    plan make_plan(std::size_t batch) {
        plan p;
        p.batch = batch;
        auto handle = cudnn_handle<system>();
        auto check = [&](cudnnStatus_t status, char const* what) { cudnn_check<system>(status, what); };
        try {
            check(cudnnCreateTensorDescriptor(&p.input), "creating a tensor descriptor");
            check(cudnnCreateTensorDescriptor(&p.output), "creating a tensor descriptor");
            check(cudnnCreateFilterDescriptor(&p.filter), "creating a filter descriptor");
            check(cudnnCreateConvolutionDescriptor(&p.convolution), "creating a convolution descriptor");
            check(cudnnSetTensor4dDescriptor(p.input, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, int(batch), int(G::channels),
                                             int(G::height), int(G::width)),
                  "describing a convolution's input");
            check(cudnnSetTensor4dDescriptor(p.output, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, int(batch),
                                             int(G::out_channels), int(G::out_height), int(G::out_width)),
                  "describing a convolution's output");
            check(cudnnSetFilter4dDescriptor(p.filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, int(G::out_channels),
                                             int(G::channels), int(G::window), int(G::window)),
                  "describing a convolution's kernel");
            check(cudnnSetConvolution2dDescriptor(p.convolution, int(G::pad_top), int(G::pad_left), int(G::stride),
                                                  int(G::stride), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                  "describing a convolution");
            check(cudnnSetConvolutionMathType(p.convolution, CUDNN_FMA_MATH), "choosing FP32 math");

            int returned = 0;
            std::array<cudnnConvolutionFwdAlgoPerf_t, 16> forward{};
            check(cudnnGetConvolutionForwardAlgorithm_v7(handle, p.input, p.filter, p.convolution, p.output, 16,
                                                         &returned, forward.data()),
                  "ranking forward algorithms");
            auto f = pick(forward, returned, "forward");
            std::array<cudnnConvolutionBwdDataAlgoPerf_t, 16> data{};
            check(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, p.filter, p.output, p.convolution, p.input, 16,
                                                              &returned, data.data()),
                  "ranking backward-data algorithms");
            auto d = pick(data, returned, "backward-data");
            std::array<cudnnConvolutionBwdFilterAlgoPerf_t, 16> filter{};
            check(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, p.input, p.output, p.convolution, p.filter, 16,
                                                                &returned, filter.data()),
                  "ranking backward-filter algorithms");
            auto w = pick(filter, returned, "backward-filter");
            p.forward = f.algo, p.backward_data = d.algo, p.backward_filter = w.algo;
            // The workspace each chosen algorithm asks for, as well as the ranking's estimate.
            std::size_t forward_bytes = 0, data_bytes = 0, filter_bytes = 0;
            check(cudnnGetConvolutionForwardWorkspaceSize(handle, p.input, p.filter, p.convolution, p.output, f.algo,
                                                          &forward_bytes),
                  "sizing the forward workspace");
            check(cudnnGetConvolutionBackwardDataWorkspaceSize(handle, p.filter, p.output, p.convolution, p.input,
                                                               d.algo, &data_bytes),
                  "sizing the backward-data workspace");
            check(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, p.input, p.output, p.convolution, p.filter,
                                                                 w.algo, &filter_bytes),
                  "sizing the backward-filter workspace");
            std::size_t needed = std::max({f.memory, d.memory, w.memory, forward_bytes, data_bytes, filter_bytes});
            if (needed > workspace_bytes_) {
                workspace_.resize((needed + sizeof(float) - 1) / sizeof(float));
                workspace_bytes_ = workspace_.size() * sizeof(float);
            }
        } catch (...) {
            p.release();
            throw;
        }
        return p;
    }

    transposed_matrix<B> weights_{patch, G::out_channels};
    std::vector<plan> plans_;
    buffer<float, B> output_, input_gradient_, workspace_;
    column_sums<B> bias_gradient_;
    std::size_t workspace_bytes_ = 0;
};

}  // namespace est::detail
