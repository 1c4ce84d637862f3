// A directory of the running test process's own. ctest runs every test case in its own process, and
// runs est_tests and est_tests_sanitized (the same cases) side by side under `ctest -j`: fixed paths
// under /tmp would let two of them write into one directory.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace test {

namespace detail {
/// `<temp>/est-tests-<pid>`, removed with everything in it when the process exits normally (by the
/// process that made it, not by a forked child).
struct process_directory {
    pid_t owner = ::getpid();
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("est-tests-" + std::to_string(owner));
    process_directory() {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    process_directory(process_directory const&) = delete;
    process_directory& operator=(process_directory const&) = delete;
    ~process_directory() {
        if (::getpid() != owner)
            return;
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};
}  // namespace detail

/// An empty directory `name` inside this process's own directory (emptied again on every call).
inline std::filesystem::path scratch_directory(std::string const& name) {
    static detail::process_directory root;
    auto directory = root.path / name;
    std::filesystem::remove_all(directory);
    std::filesystem::create_directories(directory);
    return directory;
}

/// scratch_directory(name) as a run_config's model_dir: an estimator that starts from nothing.
inline std::string fresh_model_dir(std::string const& name) { return scratch_directory(name).string(); }

}  // namespace test
