// Conversions of a batch between layouts on the host (oneDNN reorders), for the layers that read
// their input in the canonical layout (flatten, batch normalisation, softmax) and for hooks.
#pragma once

#include <est/core/buffer.hpp>
#include <est/core/layout.hpp>
#include <est/core/shape.hpp>
#include <est/core/tensor.hpp>
#include <est/host/onednn.hpp>

#include <cstddef>
#include <vector>

namespace est {
struct host;
}

namespace est::onednn {

/// Converts batches of examples of shape `S` (rank 3 for any layout but the canonical one).
///   convert(x, to) -> x itself when it is in layout `to`, else a copy in this converter's buffer
template <Shape S>
class layout_converter {
public:
    layout_converter() = default;
    layout_converter(layout_converter const&) = delete;
    layout_converter& operator=(layout_converter const&) = delete;

    batch_view<float const, S> convert(batch_view<float const, S> x, est::layout to) {
        if (x.layout == to)
            return x;
        if constexpr (S::rank != 3) {
            throw error("est: a batch of rank " + std::to_string(S::rank) + " in layout " +
                        std::string(layout_name(x.layout)) + " cannot be converted");
        } else {
            auto& r = reorder_for(x.batch, x.layout, to);
            values_.resize(stored_size(to, x.batch, S::extents[0] * S::extents[1], S::extents[2]));
            r(x.data, values_.data());
            return {values_.data(), x.batch, to};
        }
    }
    batch_view<float, S> convert(batch_view<float, S> x, est::layout to) {
        auto converted = convert(batch_view<float const, S>(x), to);
        return {const_cast<float*>(converted.data), converted.batch, converted.layout};
    }

private:
    struct entry {
        std::size_t batch = 0;
        est::layout from = est::layout::canonical, to = est::layout::canonical;
        reorder r;
    };
    static constexpr std::size_t entries_kept = 4;

    reorder& reorder_for(std::size_t batch, est::layout from, est::layout to) {
        for (auto& e : entries_)
            if (e.batch == batch && e.from == from && e.to == to)
                return e.r;
        if (entries_.size() == entries_kept)
            entries_.erase(entries_.begin());
        auto desc = [&](est::layout l) {
            return activation_desc(batch, S::extents[2], S::extents[0], S::extents[1], tag_of(l));
        };
        entries_.push_back({batch, from, to, reorder(desc(from), desc(to))});
        return entries_.back().r;
    }

    std::vector<entry> entries_;
    est::buffer<float, est::host> values_;
};

}  // namespace est::onednn
