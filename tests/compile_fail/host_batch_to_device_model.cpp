// A model on a back end whose memory is the device's is handed a batch in host memory; the twin
// hands it a view of device memory. (The back end here is the host's kernels with the device's
// memory space and a layout converter that leaves batches as they are: enough for the types,
// which is all this test compiles.)
#include <est/est.hpp>

// expect: est: a batch is in another memory space than the back end that reads it
// names: memory_space_mismatch<
// names: device_memory, 
// names: host_memory>

struct device_memory_backend : est::host {
    using memory_space = est::device_memory;
    template <est::Shape S>
    struct layout_converter {
        template <class View>
        View convert(View x, est::layout) {
            return x;
        }
    };
};

int main() {
    using model = est::sequential<est::input<4>, est::dense<2>>::on<device_memory_backend>;
    model net;
#ifdef EST_COMPILE_FAIL
    est::batch_tensor<float, est::shape<4>> features(1);
#else
    est::batch_view<float const, est::shape<4>, est::device_memory> features{nullptr, 0};
#endif
    auto classes = est::argmax(net(features, est::predict));
    return sizeof(classes) > 0 ? 0 : 1;
}
