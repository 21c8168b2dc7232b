// A salt::embedded::Parallel runner for the tests: it runs a convolution's tasks backwards on the
// calling thread and counts them. A task that depended on another's output, or a cut that missed or
// repeated part of the work, then shows up as different bits from the uncut result (every task
// writes its own outputs only). Allocates nothing.
#pragma once

#include "salt/embedded/parallel.hpp"

namespace embedded_test {

struct BackwardsRunner {
    int tasks = 0;
    static void run(void* context, int n, salt::embedded::Parallel::Task task, const void* job) {
        static_cast<BackwardsRunner*>(context)->tasks += n;
        for (int i = n - 1; i >= 0; --i) task(job, i);
    }
};

}  // namespace embedded_test
