// 2-D convolution on the host: oneDNN's convolution primitives (forward with bias and the fused
// post-op, backward data, backward weights and bias), with the weights stored in the layout oneDNN
// prefers and activations in the layout its kernels prefer, reordered only at the edges. A 5x5
// 'same' convolution on AVX2 or AVX-512 runs by est's Winograd kernels instead, in training and
// with a max pooling after it at inference (winograd_convolution.hpp, winograd_max_pooling.hpp),
// and keeps its weights in est's canonical layout, which those kernels read. Every buffer (output,
// gradients, reorder targets, scratchpad) belongs to est and is sized on the first batch of a size;
// primitives are created once per batch size and kept.
//
// Layouts, chosen by measurement (benchmarks/README.md): oneDNN chooses the activation layouts
// (channel-blocked on AVX2 and AVX-512 machines), except for a convolution with fewer than 8 input
// channels (a first layer on images) where the forward or backward-weights pass would then run
// oneDNN's reference kernel (on AVX2, backward weights, hundreds of times slower): that one keeps
// NHWC input and output. Where only the backward-data pass would (AVX-512; a first layer never runs
// it), that pass runs on NHWC copies of its gradients instead.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/config.hpp>
#include <est/core/layout.hpp>
#include <est/core/parameter.hpp>
#include <est/core/primitive.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/host/convolution_max_pooling.hpp>
#include <est/host/direct_convolution.hpp>
#include <est/host/onednn.hpp>
#include <est/host/vector_width.hpp>
#include <est/host/winograd_convolution.hpp>
#include <est/host/winograd_max_pooling.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace est {
struct host;
}

namespace est::onednn {

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

/// What a convolution is, at run time: its window geometry and fused post-op.
struct convolution_dims {
    std::size_t height, width, channels, out_height, out_width, out_channels, window, stride;
    std::size_t pad_top, pad_left, pad_bottom, pad_right;
    post_op op;
};

/// The oneDNN primitives and buffers of one convolution, for every geometry (compiled once, in
/// est::est's library under separate compilation). convolution<G, Op> below gives it types.
class convolution_primitives {
public:
    /// The weights stored in the layout oneDNN prefers, or in est's canonical one where
    /// `keep_canonical_weights` (a convolution est's own kernels train, which read them so).
    EST_DECL explicit convolution_primitives(convolution_dims const& dims, bool keep_canonical_weights = false);
    convolution_primitives(convolution_primitives const&) = delete;
    convolution_primitives& operator=(convolution_primitives const&) = delete;

    parameter_layout const& weights_layout() const { return weights_; }
    /// Whether the weights are stored as (window, window, channels, filters) row-major.
    bool stores_canonical_weights() const { return same(weights_.stored_desc(), canonical_weights()); }

    /// The layout of the forward pass's output at inference for `batch` inputs in `input_layout`.
    EST_DECL est::layout inference_output_layout(std::size_t batch, est::layout input_layout);
    /// The weights, stored at `stored`, in the layout `tag` names: `stored` itself where they are
    /// stored so, otherwise a copy reordered into a buffer of this object's.
    EST_DECL float const* weights_in(dnnl_format_tag_t tag, float const* stored);

    /// The output of `batch` inputs at `x` in `input_layout`, and its layout.
    EST_DECL std::pair<float const*, est::layout> forward(float const* x, std::size_t batch, est::layout input_layout,
                                                          float const* weights, float const* bias, bool training);
    /// The input gradient (in the input's layout; null unless `need_input_gradient`), after writing
    /// the weights and bias gradients.
    EST_DECL float* backward(float const* x, std::size_t batch, est::layout input_layout, float const* dy,
                             float const* weights, float* weights_gradient, float* bias_gradient,
                             bool need_input_gradient);

private:
    /// Primitives and memory descriptors for one batch size, input layout and mode.
    struct plan {
        std::size_t batch = 0;
        est::layout input_layout = est::layout::canonical;
        bool training = false;
        est::layout output_layout = est::layout::canonical;
        primitive forward, backward_weights, backward_data;
        memory source, weights, bias, destination, scratchpad, diff_weights, backward_weights_memory;
        /// The backward-data pass's gradients: in the forward pass's layouts, or NHWC where those
        /// would run oneDNN's reference kernel (dy reordered to it first).
        memory data_diff_destination, data_diff_source;
        reorder source_reorder, diff_source_reorder, diff_weights_reorder, weights_reorder,
            data_diff_destination_reorder;
        std::size_t scratchpad_floats = 0;
    };
    static constexpr std::size_t plans_kept = 4;

    /// Whether `pd` is one of oneDNN's reference (unoptimized) implementations.
    EST_DECL static bool is_reference(primitive_desc const& pd);
    /// Whether the forward or backward-weights pass with the layouts of `forward` (batch 64: the
    /// plan whose weights layout is kept) runs oneDNN's reference kernel.
    EST_DECL bool reference_kernel_in_training(primitive_desc const& forward) const;
    /// The backward-weights and backward-data primitive descriptors that go with `forward`.
    EST_DECL std::pair<primitive_desc, primitive_desc> backward_descs(primitive_desc const& forward) const;
    /// The backward-data primitive descriptor on NHWC gradients at `batch`.
    EST_DECL primitive_desc nhwc_backward_data_desc(std::size_t batch) const;
    std::array<dnnl_dim_t, 4> weights_dims() const {
        return {dnnl_dim_t(dims_.out_channels), dnnl_dim_t(dims_.channels), dnnl_dim_t(dims_.window),
                dnnl_dim_t(dims_.window)};
    }
    dnnl_memory_desc_t weights_any() const { return memory_desc<4>(weights_dims(), dnnl_format_tag_any); }
    /// est's kernel layout: (window, window, channels, filters) row-major, oneDNN's hwio.
    dnnl_memory_desc_t canonical_weights() const { return memory_desc<4>(weights_dims(), dnnl_hwio); }
    dnnl_memory_desc_t bias_desc() const { return memory_desc<1>({dnnl_dim_t(dims_.out_channels)}, dnnl_a); }
    EST_DECL dnnl_memory_desc_t source_desc(std::size_t batch) const;
    EST_DECL dnnl_memory_desc_t destination_desc(std::size_t batch) const;
    EST_DECL std::string name() const;
    EST_DECL primitive_desc forward_desc(std::size_t batch, dnnl_memory_desc_t const& weights,
                                         dnnl_prop_kind_t kind) const;
    EST_DECL plan& plan_for(std::size_t batch, est::layout input_layout, bool training);
    EST_DECL plan make_plan(std::size_t batch, est::layout input_layout, bool training);

    convolution_dims dims_;
    bool choose_layouts_ = true;  ///< activations in the layouts oneDNN picks; otherwise NHWC
    dnnl_dims_t strides_, padding_before_, padding_after_;
    stored_parameter weights_;
    std::vector<plan> plans_;
    host_buffer<float> output_, source_, diff_source_, input_gradient_, diff_weights_, backward_weights_, scratchpad_,
        data_diff_destination_, weights_copy_;
    /// The stored weights' padded entries (a blocked layout's channels past the last one): their
    /// gradient is zeroed after each backward pass, so the padded weights stay zero whatever the
    /// input's padded channels hold.
    std::vector<std::size_t> weights_padding_;
    dnnl_format_tag_t weights_copy_tag_ = dnnl_format_tag_undef;
    std::optional<reorder> weights_copy_reorder_;
};

/// A convolution over `G` (an est::window_geometry) with bias and `Op` fused into the forward pass.
///   forward(x, weights, bias, training) -> y             y in the layout the primitive chose
///   backward(x, dy, weights, weights_gradient, bias_gradient, need_input_gradient) -> dx
///       dy in y's layout (the gradient before Op: the caller applies Op's derivative); dx in x's
///       layout; the weights gradient in the weights' stored layout. dy may be handed over image by
///       image (image_gradients) after a forward pass that takes_gradients_by_image
///   weights_layout(): how the weights are stored, and their conversion to (window, window,
///       channels, filters) row-major
template <class G, post_op Op>
class convolution {
public:
    using input_shape = shape<G::height, G::width, G::channels>;
    using output_shape = shape<G::out_height, G::out_width, G::out_channels>;

    convolution()
        : primitives_({G::height, G::width, G::channels, G::out_height, G::out_width, G::out_channels, G::window,
                       G::stride, G::pad_top, G::pad_left, G::pad_bottom, G::pad_right, Op},
                      own_kernels_train()) {}

    parameter_layout const& weights_layout() const { return primitives_.weights_layout(); }

    /// It has forward_max_pooled below.
    static constexpr bool fuses_max_pooling = true;

    /// Whether est's own kernels train this convolution on this CPU, so that its weights are stored
    /// canonically, as they read them.
    static bool own_kernels_train() {
        if constexpr (winograd_trains())
            return winograd_convolution::runs_on_this_cpu();
        else if constexpr (direct_convolution<G, Op>::fits)
            return direct_convolution<G, Op>::runs_on_this_cpu();
        else
            return false;
    }

    /// In training, by Winograd's F(2x2, 5x5) where it fits (winograd_convolution.hpp), or by est's
    /// direct kernels over few channels (direct_convolution.hpp), on CPUs with AVX2 or AVX-512 (their
    /// output NHWC); otherwise by oneDNN's primitive. (`Host` is est::host, complete where this is
    /// instantiated.)
    template <class Host = est::host>
    batch_view<float const, output_shape> forward(batch_view<float const, input_shape> x, float const* weights,
                                                  float const* bias, bool training) {
        trained_by_ = kernels::onednn;
        if constexpr (winograd_trains()) {
            if (training && winograd_convolution::runs_on_this_cpu()) {
                if (auto block = channel_block(x.layout)) {
                    if (!winograd_)
                        winograd_.emplace(winograd_dims{G::height, G::width, G::channels, G::out_channels, Op});
                    own_output_.resize(x.batch * output_shape::size);
                    winograd_->forward<Host>(x.data, x.batch, *block, primitives_.weights_in(dnnl_hwio, weights), bias,
                                             own_output_.data());
                    trained_by_ = kernels::winograd;
                    return {own_output_.data(), x.batch, est::layout::canonical};
                }
            }
        }
        if constexpr (direct_convolution<G, Op>::fits) {
            if (training && direct_convolution<G, Op>::runs_on_this_cpu() && x.layout == est::layout::canonical) {
                own_output_.resize(x.batch * output_shape::size);
                direct_.template forward<Host>(x.data, x.batch, primitives_.weights_in(dnnl_hwio, weights), bias,
                                               own_output_.data());
                trained_by_ = kernels::direct;
                return {own_output_.data(), x.batch, est::layout::canonical};
            }
        }
        auto [y, layout] = primitives_.forward(x.data, x.batch, x.layout, weights, bias, training);
        return {y, x.batch, layout};
    }

    /// This convolution and the max pooling `P` (a window_geometry) after it, at inference, without
    /// writing the whole batch's convolution output: in one pass where est's kernel covers them
    /// (convolution_max_pooling.hpp, a first layer) or Winograd's F(2x2, 5x5) does
    /// (winograd_max_pooling.hpp), otherwise a part of the batch at a time, each part's output
    /// pooled while the caches hold it. The pooled batch, in the layout the pooling of this
    /// convolution's output would have; a view of no data for a batch too small to split (the two
    /// layers then run one after the other). (`Host` is est::host, complete where this is
    /// instantiated.)
    template <class P, class Host = est::host>
    batch_view<float const, shape<P::out_height, P::out_width, P::out_channels>> forward_max_pooled(
        batch_view<float const, input_shape> x, float const* weights, float const* bias) {
        if constexpr (fusable<G, Op, P>) {
            if (x.layout == est::layout::canonical) {
                auto layout = primitives_.inference_output_layout(x.batch, x.layout);
                bool sixteen = G::out_channels % 16 == 0 && est::detail::runs_vectors_of(16);
                bool eight = G::out_channels % 8 == 0 && est::detail::runs_vectors_of(8);
                if (layout == est::layout::channel_blocks_16 && sixteen)
                    return max_pooled<P, 16, true, Host>(x, primitives_.weights_in(dnnl_hwio, weights), bias, layout);
                if (layout == est::layout::channel_blocks_8 && eight)
                    return max_pooled<P, 8, true, Host>(x, primitives_.weights_in(dnnl_hwio, weights), bias, layout);
                if (layout == est::layout::canonical && sixteen)
                    return max_pooled<P, 16, false, Host>(x, primitives_.weights_in(dnnl_hwio, weights), bias, layout);
                if (layout == est::layout::canonical && eight)
                    return max_pooled<P, 8, false, Host>(x, primitives_.weights_in(dnnl_hwio, weights), bias, layout);
            }
        }
        if constexpr (winograd_fits<P>()) {
            auto block = channel_block(x.layout);
            if (block && winograd_max_pooling::runs_on_this_cpu()) {
                if (!winograd_pooling_)
                    winograd_pooling_.emplace(winograd_dims{G::height, G::width, G::channels, G::out_channels, Op});
                pooled_.resize(x.batch * P::out_height * P::out_width * P::out_channels);
                winograd_pooling_->forward<Host>(x.data, x.batch, *block, primitives_.weights_in(dnnl_hwio, weights),
                                                 bias, pooled_.data());
                return {pooled_.data(), x.batch, est::layout::canonical};
            }
        }
        return pooled_in_parts<P, Host>(x, weights, bias);
    }

    template <class Host = est::host>
    batch_view<float, input_shape> backward(batch_view<float const, input_shape> x, batch_view<float, output_shape> dy,
                                            float const* weights, float* weights_gradient, float* bias_gradient,
                                            bool need_input_gradient) {
        return backward_from<Host>(x, dy.data, nullptr, weights, weights_gradient, bias_gradient, need_input_gradient);
    }

    /// It has the backward pass below that takes its output gradient image by image
    /// (image_gradients), after a forward pass that ran on est's own kernels
    /// (takes_gradients_by_image; oneDNN's primitives take the whole batch's).
    static constexpr bool backward_by_image = true;
    bool takes_gradients_by_image() const { return trained_by_ != kernels::onednn; }

    /// backward with dy handed over image by image, after a forward pass that
    /// takes_gradients_by_image.
    template <class Host = est::host>
    batch_view<float, input_shape> backward(batch_view<float const, input_shape> x, image_gradients const& dy,
                                            float const* weights, float* weights_gradient, float* bias_gradient,
                                            bool need_input_gradient) {
        return backward_from<Host>(x, nullptr, &dy, weights, weights_gradient, bias_gradient, need_input_gradient);
    }

    /// Images in each part of a batch at inference where the convolution and its pooling run a part
    /// at a time: those whose convolution output fills about 400 KB of each thread's L2 cache (the
    /// part then stays in the caches between the two). Measured on the CNN's second convolution at
    /// batch 256 (benchmarks/README.md, "Convolution and pooling fused"): parts of 16 images on 2
    /// threads with 1 MiB of L2 each.
    static std::size_t part_images(std::size_t threads) {
        constexpr std::size_t output_bytes = G::out_height * G::out_width * G::out_channels * sizeof(float);
        return std::max<std::size_t>(1, threads * 400 * 1024 / output_bytes);
    }

private:
    /// The backward pass from dy, the whole batch's, or where it is null from `by_image` (est's
    /// kernels only).
    template <class Host>
    batch_view<float, input_shape> backward_from(batch_view<float const, input_shape> x, float const* dy,
                                                 image_gradients const* by_image, float const* weights,
                                                 float* weights_gradient, float* bias_gradient,
                                                 bool need_input_gradient) {
        if (trained_by_ != kernels::onednn) {
            float* dx = nullptr;
            if (need_input_gradient) {
                own_input_gradient_.resize(stored_size(x.layout, x.batch, G::height * G::width, G::channels));
                dx = own_input_gradient_.data();
            }
            bool canonical = primitives_.stores_canonical_weights();
            if (!canonical)
                own_weights_gradient_.resize(G::window * G::window * G::channels * G::out_channels);
            float const* canonical_weights = primitives_.weights_in(dnnl_hwio, weights);
            float* canonical_gradient = canonical ? weights_gradient : own_weights_gradient_.data();
            auto run = [&](auto const& gradients) {
                if (trained_by_ == kernels::winograd)
                    winograd_->backward<Host>(x.data, gradients, x.batch, *channel_block(x.layout), canonical_weights,
                                              canonical_gradient, bias_gradient, dx);
                if constexpr (direct_convolution<G, Op>::fits)
                    if (trained_by_ == kernels::direct)
                        direct_.template backward<Host>(x.data, gradients, x.batch, canonical_weights,
                                                        canonical_gradient, bias_gradient, dx);
            };
            if (dy)
                run(dy);
            else
                run(*by_image);
            if (!canonical)
                weights_layout().from_canonical(own_weights_gradient_.data(), weights_gradient);
            if (!need_input_gradient)
                return {};
            return {dx, x.batch, x.layout};
        }
        if (!dy)
            throw std::logic_error("est: a convolution on oneDNN's primitives was handed its gradient by image");
        float* dx = primitives_.backward(x.data, x.batch, x.layout, dy, weights, weights_gradient, bias_gradient,
                                         need_input_gradient);
        if (!need_input_gradient)
            return {};
        return {dx, x.batch, x.layout};
    }

    /// Which kernels trained the last forward pass (its backward pass runs the same).
    enum class kernels { onednn, winograd, direct };

    /// Whether this convolution runs by Winograd's F(2x2, 5x5) in training
    /// (winograd_convolution.hpp; on CPUs with AVX2 or AVX-512).
    static constexpr bool winograd_trains() {
        return winograd_convolution::fits(G::height, G::width, G::channels, G::out_channels, G::window, G::stride,
                                          G::pad_top, G::pad_left, G::pad_bottom, G::pad_right, Op);
    }
    /// The channel block of an activation layout the Winograd kernels read and write: 0 for NHWC;
    /// none for a layout they do not know.
    static std::optional<std::size_t> channel_block(est::layout layout) {
        switch (layout) {
            case est::layout::canonical:
                return 0;
            case est::layout::channel_blocks_8:
                return 8;
            case est::layout::channel_blocks_16:
                return 16;
            default:
                return std::nullopt;
        }
    }

    /// Whether this convolution and the max pooling `P` after it run by Winograd's F(2x2, 5x5) at
    /// inference (winograd_max_pooling.hpp; on CPUs with AVX2 or AVX-512).
    template <class P>
    static constexpr bool winograd_fits() {
        bool pooling_fits = P::window == 2 && P::stride == 2 && P::pad_top == 0 && P::pad_left == 0 &&
                            P::height == G::out_height && P::width == G::out_width &&
                            P::out_height == G::out_height / 2 && P::out_width == G::out_width / 2;
        return pooling_fits && winograd_trains();
    }

    template <class P, std::size_t V, bool Blocked, class Host>
    batch_view<float const, shape<P::out_height, P::out_width, P::out_channels>> max_pooled(
        batch_view<float const, input_shape> x, float const* weights, float const* bias, est::layout layout) {
        pooled_.resize(x.batch * P::out_height * P::out_width * P::out_channels);
        Host::for_each(x.batch,
                       detail::convolution_max_pooling_image<G, Op, P, V, Blocked>{x.data, weights, bias, pooled_.data()},
                       1);
        return {pooled_.data(), x.batch, layout};
    }

    /// The batch in parts of equal size (the last one padded with zero images), so that the
    /// convolution has one set of primitives and one output layout for all of them.
    template <class P, class Host>
    batch_view<float const, shape<P::out_height, P::out_width, P::out_channels>> pooled_in_parts(
        batch_view<float const, input_shape> x, float const* weights, float const* bias) {
        std::size_t target = part_images(std::size_t(Host::threads()));
        if (x.batch < 2 * target)
            return {};
        std::size_t parts = x.batch / target, part = (x.batch + parts - 1) / parts;
        std::size_t input_image = stored_size(x.layout, 1, G::height * G::width, G::channels);
        est::layout layout = est::layout::canonical;
        std::size_t pooled_image = 0;
        for (std::size_t begin = 0; begin < x.batch; begin += part) {
            std::size_t images = std::min(part, x.batch - begin);
            float const* source = x.data + begin * input_image;
            if (images < part) {
                padded_part_.resize(part * input_image);
                std::copy(source, source + images * input_image, padded_part_.data());
                std::fill(padded_part_.data() + images * input_image, padded_part_.data() + part * input_image, 0.0f);
                source = padded_part_.data();
            }
            auto [y, y_layout] = primitives_.forward(source, part, x.layout, weights, bias, false);
            if (begin == 0) {
                layout = y_layout;
                pooled_image = stored_size(layout, 1, P::out_height * P::out_width, P::out_channels);
                pooled_.resize(x.batch * pooled_image);
            }
            Host::template pooling<P, pooling_kind::max>::forward_into({y, images, layout},
                                                                       pooled_.data() + begin * pooled_image);
        }
        return {pooled_.data(), x.batch, layout};
    }

    convolution_primitives primitives_;
    /// The outputs and gradients of est's own kernels in training.
    host_buffer<float> pooled_, padded_part_, own_output_, own_input_gradient_, own_weights_gradient_;
    std::optional<winograd_max_pooling> winograd_pooling_;
    std::optional<winograd_convolution> winograd_;
    /// Only where it fits: a member for every geometry would instantiate its kernels' tables too.
    std::conditional_t<direct_convolution<G, Op>::fits, direct_convolution<G, Op>, std::monostate> direct_;
    kernels trained_by_ = kernels::onednn;
};

}  // namespace est::onednn

#if defined(EST_DEFINITIONS)
#include <est/host/impl/convolution.ipp>
#endif
