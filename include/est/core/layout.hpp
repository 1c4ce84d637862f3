// How a batch of examples lies in memory. est's canonical layout is row-major over (batch, dims...),
// channels last for images (NHWC): what the input pipeline produces, hooks see and checkpoints store.
// A back end may keep the activations between its own primitives in the layout its kernels prefer
// (oneDNN's direct convolutions prefer channels in blocks of 8 or 16) and converts at the edges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace est {

/// The physical layout of a batch; the logical shape is the same in every layout.
enum class layout : std::uint8_t {
    canonical,          ///< row-major (batch, dims...): NHWC for images
    channels_first,     ///< (batch, channels, height, width): NCHW
    channel_blocks_8,   ///< (batch, channels / 8, height, width, 8), zero-padded channels: oneDNN's nChw8c
    channel_blocks_16,  ///< (batch, channels / 16, height, width, 16): oneDNN's nChw16c
};

constexpr std::string_view layout_name(layout l) {
    switch (l) {
        case layout::canonical:
            return "canonical (NHWC)";
        case layout::channels_first:
            return "NCHW";
        case layout::channel_blocks_8:
            return "nChw8c";
        case layout::channel_blocks_16:
            return "nChw16c";
    }
    return "unknown";
}

/// Channels a block of layout `l` holds (8 or 16); 1 where its channels are not in blocks.
constexpr std::size_t channels_a_block(layout l) {
    return l == layout::channel_blocks_8 ? 8 : l == layout::channel_blocks_16 ? 16 : 1;
}

/// Values a batch of `examples` examples of `channels` channels and `spatial` positions each takes in
/// layout `l` (blocked layouts pad the channels to a whole block).
constexpr std::size_t stored_size(layout l, std::size_t examples, std::size_t spatial, std::size_t channels) {
    std::size_t block = channels_a_block(l);
    return examples * spatial * ((channels + block - 1) / block * block);
}

}  // namespace est
