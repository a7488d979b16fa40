// Connectivity generation with NEST's rules and parameter distributions (connect.hpp, shared with the device
// build). Two passes over the same pure draws: the first counts each source's synapses, the second writes them
// into their CSR rows; each row is then sorted, so the table depends on nothing but the model and seed.
#include "synfire/network.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

#include "synfire/connect.hpp"
#include "synfire/errors.hpp"
#include "team.hpp"

namespace synfire {

std::vector<std::uint64_t> population_bases(const model& m) {
    std::vector<std::uint64_t> base{0};
    for (const auto& p : m.populations) base.push_back(base.back() + p.n);
    return base;
}

int ring_slots(const synapse_table& t) { return t.empty() ? 0 : t.max_delay + t.min_delay; }

std::string flagged_synapses_message(const model& m) {
    struct culprit {
        double expected;
        std::string what;
    };
    std::vector<culprit> found;
    auto describe = [](const synapse_parameter& sp) {
        using kind = synapse_parameter::kind;
        switch (sp.type) {
            case kind::constant: return fmt::format("{:g}", sp.value);
            case kind::uniform: return fmt::format("uniform in [{:g}, {:g}]", sp.a, sp.b);
            case kind::normal: return fmt::format("normal, mean {:g}, std {:g}", sp.a, sp.b);
            case kind::lognormal: return fmt::format("lognormal, mean {:g}, std {:g}", sp.a, sp.b);
            case kind::normal_clipped: return fmt::format("normal_clipped, mean {:g}, std {:g}, [{:g}, {:g}]", sp.a, sp.b, sp.low, sp.high);
        }
        return std::string();
    };
    for (std::size_t pi = 0; pi < m.projections.size(); ++pi) {
        const projection& pr = m.projections[pi];
        if (pr.connection == projection::rule::explicit_list) continue;  // its lines are checked when the file is read
        const double n = expected_synapses(pr, m.populations[pr.source].n, m.populations[pr.target].n);
        for (const bool delay : {false, true}) {
            const synapse_parameter& sp = delay ? pr.delay : pr.weight;
            const double share = sp.flagged_share(delay ? m.dt : 0.0);
            if (share > 0)
                found.push_back({share * n, fmt::format("projections[{}].{} ({}): {:.3g} of ~{:.3g} synapses expected out of range", pi,
                                                        delay ? "delay" : "weight", describe(sp), share * n, n)});
        }
    }
    std::sort(found.begin(), found.end(), [](const culprit& a, const culprit& b) { return a.expected > b.expected; });
    std::string out = fmt::format("a drawn weight reached |w| >= {:g} or a drawn delay more than {} steps (the fixed-point input's range)",
                                  max_abs_weight, max_delay_steps);
    for (std::size_t k = 0; k < found.size() && k < 3; ++k) out += (k ? "; " : ": from ") + found[k].what;
    return out;
}

synapse_estimate estimate_synapses(const model& m) {
    synapse_estimate e;
    double total = 0;
    int lo = 1 << 30, hi = 0;
    for (const auto& pr : m.projections) {
        const double ns = static_cast<double>(m.populations[pr.source].n), nt = static_cast<double>(m.populations[pr.target].n);
        total += expected_synapses(pr, m.populations[pr.source].n, m.populations[pr.target].n);
        if (pr.connection == projection::rule::pairwise_bernoulli) total += 6 * std::sqrt(ns * nt * pr.p * (1 - pr.p));
        double dlo = 0, dhi = 0;  // [ms]
        using kind = synapse_parameter::kind;
        if (pr.connection == projection::rule::explicit_list) {
            for (const auto& s : pr.synapses) {
                lo = std::min<int>(lo, static_cast<int>(s.delay));
                hi = std::max<int>(hi, static_cast<int>(s.delay));
            }
            continue;
        }
        if (pr.delay.type == kind::constant) dlo = dhi = pr.delay.value;
        else if (pr.delay.type == kind::uniform) dlo = pr.delay.a, dhi = pr.delay.b;
        else dlo = pr.delay.low, dhi = std::min(pr.delay.high, pr.delay.a + 10 * pr.delay.b);
        lo = std::min<int>(lo, std::max<int>(1, static_cast<int>(std::llround(dlo / m.dt))));
        hi = std::max<int>(hi, static_cast<int>(std::llround(dhi / m.dt)));
    }
    e.synapses = static_cast<std::uint64_t>(total);
    if (hi > 0) e.min_delay = lo, e.max_delay = hi;
    return e;
}

/// A least-significant-digit radix sort over the bytes of the key that differ within the row (delay,
/// population and a target's low bytes; stable), then equal keys (multapses) by weight: the order of std::sort
/// with the same comparison, without its mispredicted branches. Short rows go to std::sort.
void synapse_row_sorter::sort(synapse* first, synapse* last) {
    const auto order = [](const synapse& a, const synapse& b) {
        const std::uint64_t ka = connect::order_key(a), kb = connect::order_key(b);
        return ka < kb || (ka == kb && a.weight < b.weight);
    };
    const auto n = static_cast<std::size_t>(last - first);
    if (std::is_sorted(first, last, order)) return;
    if (n < 128) {
        std::sort(first, last, order);
        return;
    }
    if (keys_.size() < n) keys_.resize(n), other_keys_.resize(n), other_.resize(n);
    std::uint64_t any = 0, all = ~std::uint64_t{0};
    for (std::size_t i = 0; i < n; ++i) {
        keys_[i] = connect::order_key(first[i]);
        any |= keys_[i];
        all &= keys_[i];
    }
    synapse* src = first;
    synapse* dst = other_.data();
    std::uint64_t* src_keys = keys_.data();
    std::uint64_t* dst_keys = other_keys_.data();
    for (int shift = 0; shift < 64; shift += 8) {
        if ((((any ^ all) >> shift) & 0xFFu) == 0) continue;  // the same byte in every key of the row
        std::size_t count[257] = {};
        for (std::size_t i = 0; i < n; ++i) ++count[((src_keys[i] >> shift) & 0xFFu) + 1];
        for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = count[(src_keys[i] >> shift) & 0xFFu]++;
            dst[at] = src[i];
            dst_keys[at] = src_keys[i];
        }
        std::swap(src, dst);
        std::swap(src_keys, dst_keys);
    }
    if (src != first) std::copy(src, src + n, first);
    for (std::size_t i = 0; i < n;) {  // runs of one key: by weight
        std::size_t j = i + 1;
        while (j < n && src_keys[j] == src_keys[i]) ++j;
        if (j - i > 1) std::sort(first + i, first + j, [](const synapse& a, const synapse& b) { return a.weight < b.weight; });
        i = j;
    }
}

namespace {

/// Offers the whole 2 MiB pages inside [p, p + bytes), not yet touched, to the kernel as transparent huge pages
/// (where THP is "madvise"; "always" needs nothing, "never" ignores it). The fill pass stores each synapse at a
/// random row of a table of gigabytes: with 4 KiB pages nearly every store also misses the TLB.
void offer_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(p) + huge - 1) & ~(huge - 1);
    const std::uintptr_t last = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(huge - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // advice: failure changes nothing
#else
    (void)p, (void)bytes;
#endif
}

/// Faults the whole 2 MiB chunks inside [p, p + bytes) in on every thread (MADV_POPULATE_WRITE, Linux 5.14+): the
/// kernel zeroes each page on its first touch, and the table's value-initialisation (resize) would otherwise
/// take every fault on one thread. Advice: on older kernels the call fails and resize faults the pages as before.
void populate_in_parallel(void* p, std::size_t bytes, int threads) {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    constexpr std::uintptr_t chunk = std::uintptr_t{2} << 20;
    const std::uintptr_t first = (reinterpret_cast<std::uintptr_t>(p) + chunk - 1) & ~(chunk - 1);
    const std::uintptr_t last = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(chunk - 1);
    if (last <= first) return;
    const auto chunks = static_cast<std::int64_t>((last - first) / chunk);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t c = 0; c < chunks; ++c) madvise(reinterpret_cast<void*>(first + static_cast<std::uintptr_t>(c) * chunk), chunk, MADV_POPULATE_WRITE);
#else
    (void)p, (void)bytes, (void)threads;
#endif
}

}  // namespace

synapse_table build_synapses(const model& m, int threads, const synapse_row_hook& after_sort) {
    const auto t0 = std::chrono::steady_clock::now();
    synapse_table t;
    t.base = population_bases(m);
    t.receives.assign(m.populations.size(), false);
    if (m.projections.empty()) return t;  // no offsets either: 8 bytes per neuron saved
    t.offsets.assign(t.base.back() + 1, 0);
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    const philox_key key = make_key(m.seed);
    const std::uint64_t neurons = t.base.back();
    // Each thread counts, then fills, the synapses of a fixed share of each projection's entities into its own
    // part of every source's row: no atomics, and the rows are sorted afterwards, so the share does not matter.
    // Per-thread rows cost threads x neurons x 8 bytes; past 1 GiB the threads share rows through atomics.
    const bool private_rows = static_cast<std::uint64_t>(threads) * neurons <= (std::uint64_t{1} << 27);
    std::vector<std::uint64_t> rows(private_rows ? static_cast<std::size_t>(threads) * neurons : neurons, 0);  // counts, then cursors

    // one parallel region per pass: each thread takes its share of every projection's entities in turn, with no
    // barrier between projections (the rows' parts are the threads' own)
    auto sweep = [&](int pass) {
        for (const projection& pr : m.projections) t.receives[pr.target] = true;
#pragma omp parallel num_threads(threads)
        {
            const auto [me, team] = this_thread_in_team();
            std::uint64_t* row = rows.data() + (private_rows ? me * neurons : 0);
            std::vector<std::uint64_t> slots;
            // the fill pass draws weights and delays a batch at a time (connect::parameter_values)
            constexpr int B = connect::parameter_batch;
            std::uint64_t at[B], target[B], entity[B], index[B];
            double w[B], d[B];
            for (std::size_t pi = 0; pi < m.projections.size(); ++pi) {
                const projection& pr = m.projections[pi];
                const connect::projection_view v = connect::view_of(m, pi, pr.synapses.data());
                const std::uint64_t src_base = t.base[pr.source];
                const std::uint64_t n_entities = connect::entities(v, pr.synapses.size());
                const std::uint32_t log2_slots = connect::floyd_log2_slots(connect::uses_floyd(v) ? v.count : 0);
                slots.assign(connect::uses_floyd(v) ? std::size_t{1} << log2_slots : 0, 0);
                connect::floyd_set chosen{slots.data(), log2_slots, 0};
                int batched = 0;
                const bool drawn = v.rule != projection::rule::explicit_list;
                const auto flush = [&] {
                    connect::parameter_values(v.weight, key, rng_purpose::weight, entity, index, v.index, batched, w);
                    connect::parameter_values(v.delay, key, rng_purpose::delay, entity, index, v.index, batched, d);
                    for (int k = 0; k < batched; ++k) t.synapses[at[k]] = connect::pack_synapse(v, target[k], w[k], connect::delay_steps(d[k] / v.dt));
                    batched = 0;
                };
                const std::uint64_t lo = n_entities * me / team, hi = n_entities * (me + 1) / team;
                connect::entity_range_synapses(v, key, lo, hi, chosen, [&](std::uint64_t i, std::uint64_t j, std::uint64_t ent, std::uint64_t q) {
                    const std::uint64_t g = src_base + i;
                    std::uint64_t slot;
                    if (private_rows) {
                        slot = row[g]++;
                    } else {
#pragma omp atomic capture
                        slot = row[g]++;
                    }
                    if (pass == 0) return;
                    if (!drawn) {
                        t.synapses[slot] = connect::make_synapse(v, key, j, ent, q);
                        return;
                    }
                    at[batched] = slot, target[batched] = j, entity[batched] = ent, index[batched] = q;
                    if (++batched == B) flush();
                });
                if (batched) flush();
            }
        }
    };

    sweep(0);
    // offsets from the counts; each (thread, source) part starts where the thread before it ends
    const std::size_t parts = private_rows ? static_cast<std::size_t>(threads) : 1;
    std::uint64_t total = 0;
    for (std::uint64_t g = 0; g < neurons; ++g) {
        t.offsets[g] = total;
        for (std::size_t p = 0; p < parts; ++p) {
            const std::uint64_t c = rows[p * neurons + g];
            rows[p * neurons + g] = total;
            total += c;
        }
    }
    t.offsets[neurons] = total;
    t.synapses.reserve(total);
    offer_huge_pages(t.synapses.data(), total * sizeof(synapse));
    populate_in_parallel(t.synapses.data(), total * sizeof(synapse), threads);
    t.synapses.resize(total);
    sweep(1);
    rows = {};

    // canonical order within each source, and the delay range
    int lo = 1 << 30, hi = 0;
    bool bad = false;
    const auto n = static_cast<std::int64_t>(t.offsets.size() - 1);
#pragma omp parallel num_threads(threads) reduction(min : lo) reduction(max : hi) reduction(|| : bad)
    {
        synapse_row_sorter sorter;
        const std::size_t me = this_thread_in_team().me;
#pragma omp for schedule(dynamic, 1024)
        for (std::int64_t g = 0; g < n; ++g) {
            synapse* first = t.synapses.data() + t.offsets[static_cast<std::size_t>(g)];
            synapse* last = t.synapses.data() + t.offsets[static_cast<std::size_t>(g) + 1];
            sorter.sort(first, last);
            for (const synapse* it = first; it != last; ++it) {
                if (it->delay == 0) bad = true;
                lo = std::min<int>(lo, it->delay);
                hi = std::max<int>(hi, it->delay);
            }
            if (after_sort) after_sort(me, static_cast<std::uint64_t>(g), first, last);
        }
    }
    if (bad) throw user_error(flagged_synapses_message(m));
    if (!t.synapses.empty()) t.min_delay = lo, t.max_delay = hi;
    t.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return t;
}

}  // namespace synfire
