#include "inputs.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace synfire::cli {

std::vector<std::pair<std::string, std::string>> model_inputs(const std::string& model_path, const std::string& text) {
    std::vector<std::pair<std::string, std::string>> inputs;
    if (model_path.empty()) return inputs;
    inputs.emplace_back("the model file", model_path);
    // the model loaded, so the text parses and every file key is a string where its rule or type reads it
    const toml::table root = toml::parse(text, model_path);
    const std::filesystem::path base = std::filesystem::path(model_path).parent_path();
    auto add = [&](const std::string& key, const toml::node* value) {
        const auto* s = value ? value->as_string() : nullptr;
        if (!s) return;
        std::filesystem::path file = s->get();
        if (file.is_relative() && !base.empty()) file = base / file;  // as src/model_file.cpp resolves it
        inputs.emplace_back(fmt::format("{} = \"{}\"", key, s->get()), file.string());
    };
    if (const auto* projections = root["projections"].as_array())
        for (std::size_t i = 0; i < projections->size(); ++i)
            if (const auto* p = projections->get(i)->as_table()) add(fmt::format("projections[{}].file", i), p->get("file"));
    if (const auto* stimuli = root["stimuli"].as_array())
        for (std::size_t i = 0; i < stimuli->size(); ++i)
            if (const auto* s = stimuli->get(i)->as_table(); s && s->get("type") && s->get("type")->value<std::string>() == "file")
                add(fmt::format("stimuli[{}].path", i), s->get("path"));
    return inputs;
}

}  // namespace synfire::cli
