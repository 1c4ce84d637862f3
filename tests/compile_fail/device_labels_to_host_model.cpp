// A loss of a host model is handed labels that live in device memory; the twin's labels are a host
// batch.
#include <est/est.hpp>

// expect: est: a batch is in another memory space than the back end that reads it
// names: memory_space_mismatch<
// names: host_memory, 
// names: device_memory>

int main() {
    est::sequential<est::input<4>, est::dense<3>> net;
    est::batch_tensor<float, est::shape<4>> features(2);
#ifdef EST_COMPILE_FAIL
    est::batch_view<std::int32_t const, est::shape<>, est::device_memory> labels{nullptr, 2};
#else
    est::batch_tensor<std::int32_t, est::shape<>> labels(2);
#endif
    auto loss = est::sparse_softmax_cross_entropy(labels, net(features, est::train));
    return loss.batch_size() == 2 ? 0 : 1;
}
