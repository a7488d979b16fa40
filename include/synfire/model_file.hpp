#pragma once
// Model files (TOML): parsing, command-line overrides and validation.
#include <string>
#include <vector>

#include "synfire/model.hpp"

namespace synfire {

/// Reads, overrides (--set key=value) and validates a model file. Throws model_error / user_error naming
/// the file, the key path and the value.
model load_model_file(const std::string& path, const std::vector<std::string>& overrides = {});

/// The same for TOML text; source_name is used in messages and stored in the output ("built-in:...");
/// relative file paths in the model (file stimuli) are taken from base_dir (default: the current folder).
model load_model_text(const std::string& text, const std::string& source_name, const std::string& model_name,
                      const std::vector<std::string>& overrides = {}, const std::string& base_dir = {});

/// The built-in default model (data/models/fi_curve.toml, embedded at build time).
model load_default_model(const std::vector<std::string>& overrides = {});

/// Path of the built-in default model in the source tree, for messages.
const char* default_model_name();

}  // namespace synfire
