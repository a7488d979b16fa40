#pragma once
// Two roots: a user_error is the model's or the command line's fault (exit code 2, nothing written);
// a runtime_failure is the machine's (I/O, memory, device; exit code 1). A bug in synfire itself is an
// internal_error.
#include <stdexcept>
#include <string>

namespace synfire {

/// Bad input: the message names the key or file and the offending value.
class user_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// An error in the model file; carries the file and the key path (e.g. populations.E.params.tau_m).
class model_error : public user_error {
public:
    model_error(std::string file, std::string key, const std::string& message)
        : user_error(message), file_(std::move(file)), key_(std::move(key)) {}
    const std::string& file() const { return file_; }
    const std::string& key() const { return key_; }

private:
    std::string file_;
    std::string key_;
};

/// A failure of the environment: I/O, out of memory, device errors.
class runtime_failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A broken invariant inside synfire.
class internal_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

}  // namespace synfire
