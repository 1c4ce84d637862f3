// Writes the input as a TensorBoard event file (a TFRecord file of Event protos) in a directory of
// its own and reads its summaries with test::read_summaries, the reader the tests use. est::error
// is the expected failure; any other exception or a sanitizer report is a bug.
#include "fuzz_input.hpp"

#include "support/events.hpp"

#include <est/core/error.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::filesystem::create_directories(fuzz::scratch_directory() / "events");
    fuzz::write_file("events/events.out.tfevents.0.fuzz", fuzz::as_view(data, size));
    try {
        auto summaries = test::read_summaries(fuzz::scratch_directory() / "events");
        (void)summaries;
    } catch (est::error const&) {
    }
    return 0;
}
