// Writes the input as model_dir/run.json and reads the run_config recorded there, as the
// estimator does when it is given a model_dir alone. est::error is the expected failure; any other
// exception (nlohmann::json's included) or a sanitizer report is a bug.
#include "fuzz_input.hpp"

#include <est/core/error.hpp>
#include <est/estimator/run_config.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto model_dir = fuzz::scratch_directory() / "model";
    std::filesystem::create_directories(model_dir);
    fuzz::write_file("model/run.json", fuzz::as_view(data, size));
    try {
        auto config = est::detail::read_run_config(model_dir);
        (void)config;
    } catch (est::error const&) {
    }
    return 0;
}
