#pragma once
#include <string>
#include <utility>
#include <vector>

namespace synfire::cli {

/// The files a model file makes a run read, each with what names it: the model file itself, explicit
/// connection lists (projections[i].file) and current traces (stimuli[i].path), resolved as the model loader
/// resolves them (relative to the model file's folder). text: the model as run (synfire::model::text,
/// overrides applied). An empty model_path (the built-in model) reads no files.
std::vector<std::pair<std::string, std::string>> model_inputs(const std::string& model_path, const std::string& text);

}  // namespace synfire::cli
