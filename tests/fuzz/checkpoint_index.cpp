// Writes the input as model_dir/checkpoint_index.json and opens it with est::checkpoint_index,
// then asks for the latest and the best checkpoint (by loss and by a higher-is-better metric).
// Nothing is added, so no file is written or deleted. est::error is the expected failure; any
// other exception (nlohmann::json's included) or a sanitizer report is a bug.
#include "fuzz_input.hpp"

#include <est/core/error.hpp>
#include <est/estimator/checkpoint.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto model_dir = fuzz::scratch_directory() / "model";
    std::filesystem::create_directories(model_dir);
    fuzz::write_file("model/checkpoint_index.json", fuzz::as_view(data, size));
    try {
        est::checkpoint_index index(model_dir);
        (void)index.latest();
        (void)index.best();
        (void)index.best({"accuracy", est::goal::higher});
    } catch (est::error const&) {
    }
    return 0;
}
