// Disk faults while saving: every open, write, fsync, close and rename of a training run that saves
// a checkpoint fails in turn (support/io_faults.hpp), and the files' size limit cuts writes at
// several lengths (a full disk). After each fault: training stopped with an error naming the file
// (or, for the directory's fsync, which est does not depend on, finished), no temporary file is
// left, every checkpoint the index names is intact, none from before is lost unless the index
// dropped it, and a new estimator resumes from the newest listed checkpoint, with its exact weights,
// and trains on.
#if defined(EST_IO_FAULTS)
#include "support/classifier.hpp"
#include "support/io_faults.hpp"
#include "support/scratch_directory.hpp"
#include "support/sum_sign_data.hpp"
#include "support/weights.hpp"

#include <est/est.hpp>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <xtensor/xbuilder.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace est::literals;
namespace fs = std::filesystem;

namespace {
auto dataset() { return test::sum_sign_dataset(); }
using model = est::sequential<est::input<3>, est::dense<6, est::relu>, est::dense<2>>;
auto model_fn = test::classifier_model_fn<"x">([] { return est::adam(0.01f); });

/// The estimator of these tests on model_dir `dir`.
auto estimator_in(fs::path const& dir) {
    return est::make_estimator<model, test::sum_sign_input>(
        model_fn, est::run_config{.model_dir = dir.string(), .seed = 4, .save_summary_steps = 2,
                                  .save_checkpoints_steps = 5, .keep_checkpoint_max = 2});
}

std::string read_file(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

/// The checkpoints and the index of a model directory, by file name.
std::map<std::string, std::string> checkpoint_files(fs::path const& dir) {
    std::map<std::string, std::string> files;
    for (auto const& entry : fs::directory_iterator(dir)) {
        auto name = entry.path().filename().string();
        if (entry.path().extension() == ".safetensors" || name == "checkpoint_index.json")
            files[name] = read_file(entry.path());
    }
    return files;
}

fs::path copy_of(fs::path const& dir, std::string const& name) {
    auto copy = test::scratch_directory(name);
    fs::copy(dir, copy, fs::copy_options::recursive);
    return copy;
}

/// The steps and weights training reaches: 10 before the fault, 15 after the save it interrupts.
struct reference {
    std::map<std::string, std::string> files_before;
    std::map<std::uint64_t, std::vector<float>> weights_at;
};

void check_recovery(fs::path const& dir, reference const& expected) {
    for (auto const& entry : fs::directory_iterator(dir))
        CHECK_FALSE(entry.path().extension() == ".tmp");
    auto files = checkpoint_files(dir);
    REQUIRE(files.contains("checkpoint_index.json"));
    auto index = nlohmann::json::parse(files.at("checkpoint_index.json"));
    std::vector<std::string> listed;
    for (auto const& c : index.at("checkpoints")) {
        auto file = c.at("file").get<std::string>();
        listed.push_back(file);
        INFO("listed checkpoint " << file);
        REQUIRE(files.contains(file));
        if (expected.files_before.contains(file))
            CHECK(files.at(file) == expected.files_before.at(file));
    }
    // What the index no longer names was pruned by a completed save: only the oldest may go.
    for (auto const& [file, bytes] : expected.files_before)
        if (file != "checkpoint_index.json" && std::find(listed.begin(), listed.end(), file) == listed.end())
            CHECK(file == "ckpt-5.safetensors");
    auto latest = index.at("checkpoints").back().at("global_step").get<std::uint64_t>();
    REQUIRE(expected.weights_at.contains(latest));
    auto restarted = estimator_in(dir);
    CHECK(restarted.global_step() == latest);
    CHECK(test::weights_of(restarted) == expected.weights_at.at(latest));
    auto data = dataset();
    restarted.train([&] { return data.repeat().batch(8); }, {.steps = 5});
    CHECK(restarted.global_step() == latest + 5);
}

/// Trains from step 10 to 15 on `dir`; the error's message, or "" if training finished.
std::string resume_training(fs::path const& dir) {
    auto data = dataset();
    try {
        auto e = estimator_in(dir);
        e.train([&] { return data.repeat().batch(8); }, {.steps = 5});
    } catch (est::error const& e) {
        return e.what();
    }
    return "";
}

/// A model directory at step 10 (checkpoints 5 and 10), and the weights of steps 10 and 15.
std::pair<fs::path, reference> prepare() {
    auto pristine = test::scratch_directory("faults-pristine");
    auto data = dataset();
    reference expected;
    {
        auto e = estimator_in(pristine);
        e.train([&] { return data.repeat().batch(8); }, {.steps = 10});
        expected.weights_at[10] = test::weights_of(e);
        e.train([&] { return data.repeat().batch(8); }, {.steps = 5});
        expected.weights_at[15] = test::weights_of(e);
    }
    // The same directory as it was at step 10, from a run that stopped there.
    pristine = test::scratch_directory("faults-pristine");
    estimator_in(pristine).train([&] { return data.repeat().batch(8); }, {.steps = 10});
    expected.files_before = checkpoint_files(pristine);
    return {pristine, expected};
}
}  // namespace

TEST_CASE("disk faults: any open, write, fsync, close or rename of a save failing loses no checkpoint",
          "[estimator][checkpoint][faults]") {
    auto [pristine, expected] = prepare();
    REQUIRE(expected.files_before.contains("ckpt-10.safetensors"));

    auto counted = copy_of(pristine, "faults-counted");
    test::io_faults::count();
    CHECK(resume_training(counted) == "");
    long calls = test::io_faults::calls();
    test::io_faults::disarm();
    REQUIRE(calls >= 12);  // run.json, the checkpoint and the index: open, writes, fsync, close, rename each

    for (long call = 0; call < calls; ++call) {
        auto dir = copy_of(pristine, "faults-call-" + std::to_string(call));
        test::io_faults::fail_call(call);
        std::string message = resume_training(dir);
        std::string failed = test::io_faults::failed();
        test::io_faults::disarm();
        INFO("call " << call + 1 << " of " << calls << " (" << failed << ") failed: "
                     << (message.empty() ? "training finished" : message));
        CHECK(failed != "");
        if (!message.empty())
            CHECK_THAT(message, Catch::Contains(dir.string()));
        check_recovery(dir, expected);
    }
}

TEST_CASE("disk faults: a full disk at any length of a save loses no checkpoint", "[estimator][checkpoint][faults]") {
    auto [pristine, expected] = prepare();
    std::vector<std::uintmax_t> limits{0, 1, 64, 512};
    for (auto const& entry : fs::directory_iterator(pristine))
        for (std::uintmax_t below : {std::uintmax_t(1), std::uintmax_t(100)})
            if (entry.file_size() > below)
                limits.push_back(entry.file_size() - below);
    for (auto limit : limits) {
        auto dir = copy_of(pristine, "faults-limit-" + std::to_string(limit));
        // Writes past the limit fail with EFBIG, as writes to a full disk fail with ENOSPC.
        rlimit original{};
        getrlimit(RLIMIT_FSIZE, &original);
        auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit small = original;
        small.rlim_cur = limit;
        setrlimit(RLIMIT_FSIZE, &small);
        std::string message = resume_training(dir);
        setrlimit(RLIMIT_FSIZE, &original);
        std::signal(SIGXFSZ, previous_handler);
        INFO("files limited to " << limit << " bytes: " << (message.empty() ? "training finished" : message));
        if (!message.empty())
            CHECK_THAT(message, Catch::Contains(dir.string()));
        check_recovery(dir, expected);
    }
}
#endif
