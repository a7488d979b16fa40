#pragma once
// The calling thread's place in its OpenMP team (0 of 1 outside a parallel region or without OpenMP).
#include <cstddef>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace synfire {

struct team_place {
    std::size_t me = 0, size = 1;
};

inline team_place this_thread_in_team() {
#ifdef _OPENMP
    return {static_cast<std::size_t>(omp_get_thread_num()), static_cast<std::size_t>(omp_get_num_threads())};
#else
    return {};
#endif
}

}  // namespace synfire
