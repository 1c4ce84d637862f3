// crash_trainer MODEL_DIR KEEP: trains (or resumes) the crash test's run; the test kills it.
#include "crash_model.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: crash_trainer MODEL_DIR KEEP_CHECKPOINT_MAX\n");
        return 2;
    }
    try {
        crash::train(argv[1], std::strtoull(argv[2], nullptr, 10));
    } catch (std::exception const& e) {
        std::fprintf(stderr, "crash_trainer: %s\n", e.what());
        return 1;
    }
}
