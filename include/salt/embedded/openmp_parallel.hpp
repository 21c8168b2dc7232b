// salt/embedded/openmp_parallel.hpp — a Parallel (salt/embedded/parallel.hpp) on OpenMP threads, for
// host programs that run the embedded path (salt predict/eval with an embedded blob, salt-bench).
// Unlike the rest of salt/embedded/ this leaves the no-heap guarantee: OpenMP's runtime allocates
// its thread pool on first use. Without -fopenmp it runs the tasks on the calling thread.
#pragma once

#include "salt/embedded/parallel.hpp"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace salt::embedded {

namespace detail {
inline void openmp_run(void* context, int n, Parallel::Task task, const void* job) {
    const int threads = *static_cast<const int*>(context);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int i = 0; i < n; ++i) task(job, i);
#else
    (void)threads;
    for (int i = 0; i < n; ++i) task(job, i);
#endif
}
}  // namespace detail

// `threads` (0: OpenMP's default, omp_get_max_threads()) must outlive the returned Parallel, which
// points at it.
inline Parallel openmp_parallel(int& threads) {
#if defined(_OPENMP)
    if (threads <= 0) threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    return Parallel{&detail::openmp_run, &threads, threads};
}

}  // namespace salt::embedded
