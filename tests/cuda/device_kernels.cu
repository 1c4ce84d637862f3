// The CUDA check: est's headers compile under nvcc, and est's element-wise activation functions
// run in device code through Thrust's CUDA system with the same results as on the host. Without a
// device it exits 77, which CTest reports as skipped.
#include <est/est.hpp>

#include <thrust/device_vector.h>
#include <thrust/execution_policy.h>
#include <thrust/host_vector.h>
#include <thrust/transform.h>

#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {
template <class Act>
struct apply_activation {
    __host__ __device__ float operator()(float x) const { return Act::apply(x); }
};

template <class Act>
bool matches_host(char const* name) {
    std::vector<float> input(1000);
    est::random_engine engine(3);
    for (float& v : input) v = engine.uniform(-4.0f, 4.0f);
    thrust::device_vector<float> device_input(input.begin(), input.end());
    thrust::device_vector<float> device_output(input.size());
    thrust::transform(thrust::device, device_input.begin(), device_input.end(), device_output.begin(),
                      apply_activation<Act>{});
    thrust::host_vector<float> output = device_output;
    for (std::size_t i = 0; i < input.size(); ++i)
        if (std::abs(output[i] - Act::apply(input[i])) > 1e-5f) {
            std::printf("%s differs at %zu: device %g, host %g\n", name, i, double(output[i]),
                        double(Act::apply(input[i])));
            return false;
        }
    return true;
}
}  // namespace

int main() {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
        std::printf("no CUDA device: skipped\n");
        return 77;
    }
    bool ok =
        matches_host<est::relu>("relu") && matches_host<est::sigmoid>("sigmoid") && matches_host<est::tanh>("tanh");
    std::printf("%s\n", ok ? "device activations match the host" : "device activations differ");
    return ok ? 0 : 1;
}
