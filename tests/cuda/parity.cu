// The device parity suite (tests/support/parity.hpp) on est::cuda: every layer, loss, metric and
// optimizer and 50 CNN training steps against est::host. One line per comparison that fails, then
// a summary. Without a device it exits 77, which CTest reports as skipped.
#include <est/cuda/backend.hpp>
#include <est/est.hpp>

#include <support/parity.hpp>

#include <cstdio>

int main() {
    if (auto problem = est::cuda_device_problem(); !problem.empty()) {
        std::printf("no CUDA device (%s): skipped\n", problem.c_str());
        return 77;
    }
    try {
        auto report = parity::run<est::cuda>();
        std::size_t failed = 0;
        double worst = 0.0;
        for (auto const& result : report.results()) {
            worst = result.error > worst ? result.error : worst;
            if (!result.passed) {
                ++failed;
                std::printf("differs: %s (relative error %.3g)\n", result.name.c_str(), result.error);
            }
        }
        std::printf(
            "{\"test\": \"cuda_parity\", \"device\": \"%s\", \"comparisons\": %zu, \"failed\": %zu, "
            "\"largest_relative_error\": %.3g}\n",
            est::cuda_system::describe().c_str(), report.results().size(), failed, worst);
        return failed == 0 ? 0 : 1;
    } catch (std::exception const& e) {
        std::printf("error: %s\n", e.what());
        return 1;
    }
}
