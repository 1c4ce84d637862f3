// A batch's images in equal ranges, one a thread of the host, each range run on its own set of
// buffers (a slot): how est's own convolution kernels (Winograd's, the direct ones) share a batch.
#pragma once

#include <algorithm>
#include <cstddef>

namespace est::onednn {

/// The slots a batch of `batch` images runs in on `Host`'s threads: one a thread, at most one an
/// image.
template <class Host>
std::size_t image_slots(std::size_t batch) {
    return std::max<std::size_t>(1, std::min<std::size_t>(batch, std::size_t(Host::threads())));
}

/// f(slot, first, last) for each of `slots` slots of a batch of `batch` images, [first, last) the
/// slot's images, each slot on its own thread (on the calling thread where there is one).
template <class Host, class F>
void for_each_image_slot(std::size_t batch, std::size_t slots, F f) {
    auto run = [&](std::size_t slot) { f(slot, batch * slot / slots, batch * (slot + 1) / slots); };
    if (slots == 1)
        run(0);
    else
        Host::for_each_slice(slots, run);
}

}  // namespace est::onednn
