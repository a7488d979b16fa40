#pragma once
// Models whose synapse tables the device build must reproduce: every rule (with and without multapses and
// autapses), every weight and delay distribution, three populations and both receptors, plus sizes where one
// thread draws many synapses. No CUDA in here: host tools use the same list.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "support.hpp"
#include "synfire/model.hpp"

namespace synfire::test {

/// A, B (iaf_psc_exp) and C (iaf_psc_delta) with the given projections.
inline std::string three_populations(const std::string& projections, std::uint64_t seed = 13, std::uint64_t n_a = 300, std::uint64_t n_b = 200,
                                     std::uint64_t n_c = 57) {
    return fmt::format(R"(
[simulation]
duration = 10.0
seed = {}
[populations.A]
model = "iaf_psc_exp"
n = {}
[populations.B]
model = "iaf_psc_exp"
n = {}
[populations.C]
model = "iaf_psc_delta"
n = {}
{}
)",
                       seed, n_a, n_b, n_c, projections);
}

/// One [[projections]] entry.
inline std::string projection_text(const char* source, const char* target, const std::string& body) {
    return fmt::format("[[projections]]\nsource = \"{}\"\ntarget = \"{}\"\n{}\n", source, target, body);
}

/// Named models covering the connectivity generator; `seed` changes every draw.
inline std::vector<std::pair<std::string, model>> synapse_models(std::uint64_t seed = 13) {
    std::vector<std::pair<std::string, model>> out;
    auto add = [&](std::string name, const std::string& projections, std::uint64_t n_a = 300, std::uint64_t n_b = 200, std::uint64_t n_c = 57) {
        out.emplace_back(std::move(name), model_from(three_populations(projections, seed, n_a, n_b, n_c)));
    };
    const std::string nc_delay = "delay = { distribution = \"normal_clipped\", mean = 1.5, std = 0.7, low = 0.1, high = 4.0 }\n";
    const std::string u_delay = "delay = { distribution = \"uniform\", low = 0.1, high = 2.5 }\n";
    // every rule, autapses and multapses both ways where they apply
    add("all_to_all",
        projection_text("A", "B", "rule = \"all_to_all\"\nweight = { distribution = \"uniform\", low = -20.0, high = 30.0 }\n" + nc_delay) +
            projection_text("B", "B", "rule = \"all_to_all\"\nallow_autapses = false\nweight = { distribution = \"normal\", mean = 5.0, std = 2.0 }\n" + u_delay) +
            projection_text("C", "C", "rule = \"all_to_all\"\nweight = 0.5\ndelay = 1.0\n"));
    add("one_to_one", projection_text("A", "A", "rule = \"one_to_one\"\nweight = -3.0\ndelay = 0.5\n") +
                          projection_text("B", "B", "rule = \"one_to_one\"\nallow_autapses = false\nweight = 3.0\n") +
                          projection_text("A", "A", "rule = \"one_to_one\"\nweight = { distribution = \"lognormal\", mean = 1.0, std = 0.5 }\n" + u_delay));
    add("pairwise_bernoulli",
        projection_text("A", "A", "rule = \"pairwise_bernoulli\"\np = 0.1\nallow_autapses = false\nweight = { distribution = \"normal\", mean = 20.0, std = 5.0 }\n" + u_delay) +
            projection_text("A", "B", "rule = \"pairwise_bernoulli\"\np = 0.97\nweight = -7.5\n" + nc_delay) +
            projection_text("B", "C", "rule = \"pairwise_bernoulli\"\np = 1.0\nweight = 0.25\n") +
            projection_text("C", "A", "rule = \"pairwise_bernoulli\"\np = 0.0\nweight = 1.0\n") +
            projection_text("B", "A", "rule = \"pairwise_bernoulli\"\np = 0.003\nweight = 2.0\n"));
    for (const char* rule : {"fixed_indegree", "fixed_outdegree"})
        for (const char* multapses : {"true", "false"})
            for (const char* autapses : {"true", "false"})
                add(fmt::format("{}_multapses_{}_autapses_{}", rule, multapses, autapses),
                    projection_text("A", "A",
                                    fmt::format("rule = \"{}\"\nk = 50\nallow_multapses = {}\nallow_autapses = {}\n"
                                                "weight = {{ distribution = \"normal_clipped\", mean = 10.0, std = 4.0, low = 5.0, high = 12.0 }}\n{}",
                                                rule, multapses, autapses, nc_delay)) +
                        projection_text("B", "A",
                                        fmt::format("rule = \"{}\"\nk = 199\nallow_multapses = {}\nallow_autapses = {}\nweight = -50.0\n{}", rule,
                                                    multapses, autapses, u_delay)) +
                        projection_text("C", "C",
                                        fmt::format("rule = \"{}\"\nk = 56\nallow_multapses = {}\nallow_autapses = {}\n"
                                                    "weight = {{ distribution = \"lognormal\", mean = -1.0, std = 1.0 }}\n",
                                                    rule, multapses, autapses)));
    add("fixed_total_number",
        projection_text("A", "A", "rule = \"fixed_total_number\"\nn = 12345\nallow_autapses = false\nweight = { distribution = \"normal\", mean = -4.0, std = 3.0 }\n" + nc_delay) +
            projection_text("B", "C", "rule = \"fixed_total_number\"\nn = 5000\nweight = 1.5\n" + u_delay) +
            projection_text("C", "C", "rule = \"fixed_total_number\"\nn = 20000\nweight = { distribution = \"uniform\", low = 0.1, high = 0.2 }\n"));
    // multapses of one pair with one delay: long runs of equal keys, ordered by weight
    add("many_multapses", projection_text("A", "B", "rule = \"fixed_total_number\"\nn = 3000\nweight = { distribution = \"normal\", mean = 1.0, std = 9.0 }\n"),
        2, 1, 1);
    // one thread draws many synapses: 20 000 sources per target, 4 000 distinct partners per entity
    add("large_counts",
        projection_text("A", "B", "rule = \"all_to_all\"\nweight = { distribution = \"normal\", mean = 1.0, std = 0.1 }\n" + u_delay) +
            projection_text("A", "C", "rule = \"fixed_indegree\"\nk = 4000\nallow_multapses = false\nweight = -2.0\n" + nc_delay) +
            projection_text("C", "A", "rule = \"fixed_outdegree\"\nk = 4000\nallow_multapses = false\nweight = 3.0\n") +
            projection_text("A", "A", "rule = \"pairwise_bernoulli\"\np = 0.02\nweight = 0.1\n"),
        20000, 40, 64);
    // an explicit list (multapses, both receptors, delays in steps) next to a drawn projection
    {
        model m = model_from(three_populations(projection_text("A", "B", "rule = \"fixed_indegree\"\nk = 10\nweight = 1.0\n"), seed));
        projection pr;
        pr.source = 1;
        pr.target = 0;
        pr.connection = projection::rule::explicit_list;
        for (std::uint32_t x = 0; x < 4000; ++x) {
            const std::uint32_t s = (x * 7919u + static_cast<std::uint32_t>(seed)) % 200u, t = (x * 104729u) % 300u;
            pr.synapses.push_back({s, t, (x % 13 == 0 ? -1.0 : 1.0) * 0.125 * (x % 29), 1 + static_cast<std::int64_t>(x % 37)});
        }
        pr.synapses.push_back(pr.synapses.back());  // a repeated line is a multapse
        pr.inhibitory = false;
        m.projections.push_back(pr);
        pr.inhibitory = true;
        pr.target = 1;
        for (auto& s : pr.synapses) s.target %= 200u;
        m.projections.push_back(pr);
        out.emplace_back("explicit", std::move(m));
    }
    return out;
}

}  // namespace synfire::test
