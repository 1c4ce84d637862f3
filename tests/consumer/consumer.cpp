// Trains a tiny model a few steps and writes it to a checkpoint file: proves headers, dependencies
// and est::est's compiled part reach a consumer.
#include <est/est.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

using model = est::sequential<est::input<4>, est::dense<8, est::tanh>, est::dense<2>>;

int main() {
    model net;
    net.initialize(1);
    est::batch_tensor<float, est::shape<4>> x(3);
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i) / 10.0f;
    est::batch_tensor<std::int32_t, est::shape<>> y(3);
    y.data()[0] = 0, y.data()[1] = 1, y.data()[2] = 1;
    est::adam<>::slots<est::host> slots;
    float first = 0.0f, last = 0.0f;
    for (std::uint64_t step = 0; step < 50; ++step) {
        auto loss = est::sparse_softmax_cross_entropy(y, net(x, est::train));
        (step == 0 ? first : last) = loss.value();
        est::adam(0.05f).minimize(loss).run(slots, step);
    }
    std::printf("loss %.4f -> %.4f\n", first, last);
    auto file =
        std::filesystem::temp_directory_path() / ("est-consumer-" + std::to_string(::getpid()) + ".safetensors");
    auto tensors = est::model_tensors(net);
    est::io::write_safetensors(file, tensors.tensors, {{"model", model::description().to_json()}});
    auto read = est::io::read_safetensors(file);
    std::filesystem::remove(file);
    std::printf("%zu tensors written and read\n", read.tensors.size());
    return last < first && read.tensors.size() == tensors.tensors.size() ? 0 : 1;
}
