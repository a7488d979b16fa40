#include "plot.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "synfire/errors.hpp"

namespace synfire {
extern const char* const plot_script_text;  // generated from python/synfire_plot.py
}

namespace synfire::cli {

int plot(const std::string& file, const std::string& output_dir, bool force) {
    std::string python = "python3";
    if (const char* env = std::getenv("SYNFIRE_PYTHON"); env && *env) python = env;
    else if (access("/usr/bin/python3", X_OK) == 0) python = "/usr/bin/python3";  // Debian's h5py and matplotlib

    std::vector<std::string> args = {python, "-c", plot_script_text, file};
    if (!output_dir.empty()) args.insert(args.end(), {"-o", output_dir});
    if (force) args.emplace_back("--force");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    const pid_t pid = fork();
    if (pid < 0) throw runtime_failure("synfire plot: fork failed");
    if (pid == 0) {
        execvp(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw runtime_failure(fmt::format("synfire plot needs {} with h5py and matplotlib (scripts/setup installs them)", python));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace synfire::cli
