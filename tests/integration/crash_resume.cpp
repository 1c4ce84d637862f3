// Crash safety: a training process killed with SIGKILL at random moments (also while it starts,
// restores, or writes a checkpoint) never leaves an unreadable latest checkpoint; each restart resumes from the last
// saved step with the weights of an uninterrupted run at that step, and the run finishes with the
// same weights as the uninterrupted one.
#include "crash/crash_model.hpp"
#include "support/scratch_directory.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace {
namespace fs = std::filesystem;

/// The trainer runs on one OpenMP thread: this test is about crash safety, and beside another test
/// (ctest -j2 on 2 cores) two OpenMP threads spend most of a step waiting for each other at
/// barriers (a run of this test took 41 to 700 s so, against 5 s alone).
pid_t start_trainer(std::string const& model_dir, std::uint64_t keep) {
    std::string keep_text = std::to_string(keep);
    char const* argv[] = {EST_CRASH_TRAINER, model_dir.c_str(), keep_text.c_str(), nullptr};
    std::vector<char*> environment;
    for (char** e = environ; *e; ++e)
        if (!std::string_view(*e).starts_with("OMP_NUM_THREADS="))
            environment.push_back(*e);
    std::string one_thread = "OMP_NUM_THREADS=1";
    environment.push_back(one_thread.data());
    environment.push_back(nullptr);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, EST_CRASH_TRAINER, nullptr, nullptr, const_cast<char**>(argv), environment.data()) ==
            0);
    return pid;
}

int wait_for(pid_t pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
}

est::io::safetensors_content checkpoint_at(fs::path const& dir, std::uint64_t step) {
    return est::io::read_safetensors(dir / ("ckpt-" + std::to_string(step) + ".safetensors"));
}

bool same_parameters(est::io::safetensors_content const& a, est::io::safetensors_content const& b) {
    for (auto const& [name, tensor] : a.tensors)
        if (!b.tensors.contains(name) || b.tensors.at(name).values != tensor.values)
            return false;
    return a.tensors.size() == b.tensors.size();
}
}  // namespace

TEST_CASE("crash: SIGKILL at random moments never loses a readable latest checkpoint", "[crash][integration]") {
    auto root = test::scratch_directory("crash");
    auto reference = root / "uninterrupted";
    auto crashed = root / "crashed";

    // The uninterrupted run keeps every checkpoint, to compare each resumed step with. Its duration
    // scales the kill delays, so that kills land all through a run however loaded the machine is.
    auto started = std::chrono::steady_clock::now();
    REQUIRE(WEXITSTATUS(wait_for(start_trainer(reference.string(), 0))) == 0);
    auto run_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    REQUIRE(fs::exists(reference / ("ckpt-" + std::to_string(crash::total_steps) + ".safetensors")));

    std::mt19937 random(1234);
    std::uniform_int_distribution<long> delay_ms(run_ms.count() / 50, run_ms.count() / 6);
    int kills = 0, attempts = 0, resumes = 0;
    std::uint64_t last_step = 0;
    while (kills < 20) {
        REQUIRE(++attempts < 200);
        pid_t pid = start_trainer(crashed.string(), 3);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
        ::kill(pid, SIGKILL);
        int status = wait_for(pid);
        if (WIFEXITED(status)) {  // it finished before the kill: start over with a fresh model_dir
            REQUIRE(WEXITSTATUS(status) == 0);
            fs::remove_all(crashed);
            last_step = 0;
            continue;
        }
        REQUIRE(WTERMSIG(status) == SIGKILL);
        ++kills;
        if (!fs::exists(crashed / "checkpoint_index.json"))
            continue;  // killed before its first checkpoint
        // The index names a readable latest, and a new estimator restores exactly it.
        est::checkpoint_index index(crashed);
        auto latest = index.latest();
        REQUIRE(latest);
        auto content = est::io::read_safetensors(index.path_of(*latest));
        CHECK(latest->global_step >= last_step);
        last_step = latest->global_step;
        auto restored = crash::estimator(crashed.string(), 3);
        CHECK(restored.global_step() == latest->global_step);
        // Its weights are those of the uninterrupted run at the same step.
        CHECK(same_parameters(content, checkpoint_at(reference, latest->global_step)));
        resumes += latest->global_step > 0;
    }
    // Counted over all attempts: a run that finishes before its kill starts the next from step 0,
    // so the last few kills alone may all land before the first checkpoint.
    INFO("kills: " << kills << ", attempts: " << attempts << ", resumes from a checkpoint: " << resumes
                   << ", uninterrupted run: " << run_ms.count() << " ms");
    CHECK(resumes > 0);

    REQUIRE(WEXITSTATUS(wait_for(start_trainer(crashed.string(), 3))) == 0);
    CHECK(same_parameters(checkpoint_at(crashed, crash::total_steps), checkpoint_at(reference, crash::total_steps)));
    fs::remove_all(root);
}
