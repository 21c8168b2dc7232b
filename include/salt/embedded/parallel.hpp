// salt/embedded/parallel.hpp — how the embedded path may use more than one core without owning any
// threads: the caller hands the model a Parallel (a function that runs n independent tasks and
// returns when all are done, and its context), and the convolutions split their work into tasks
// through it. The default runs the tasks one after another on the calling thread, so the path stays
// single-threaded, allocation-free and free of any threading library unless the caller opts in.
//
// Tasks never share an output element, so a task's result does not depend on which thread ran it or
// in which order: the output is the same, bit for bit, whatever the Parallel.
//
// A bare-metal or RTOS user can plug in its own worker pool; salt/embedded/openmp_parallel.hpp is the
// one host programs (salt predict, salt-bench) use.
#pragma once

namespace salt::embedded {

struct Parallel {
    using Task = void (*)(const void* job, int index);
    // Must call task(job, i) exactly once for every i in [0, n), possibly at once on several
    // threads, and return when every call has returned.
    using Run = void (*)(void* context, int n, Task task, const void* job);

    Run run = nullptr;  // null: one after another on the calling thread
    void* context = nullptr;
    int workers = 1;  // how many tasks may run at once (the kernels cut their work by it)

    void operator()(int n, Task task, const void* job) const {
        if (run == nullptr || workers <= 1 || n <= 1) {
            for (int i = 0; i < n; ++i) task(job, i);
        } else {
            run(context, n, task, job);
        }
    }
};

// Runs body(i) for i in [0, n) through `par`; body is any callable (a lambda with captures).
template <class Body>
void parallel_for(const Parallel& par, int n, const Body& body) {
    par(n, [](const void* job, int i) { (*static_cast<const Body*>(job))(i); }, &body);
}

}  // namespace salt::embedded
