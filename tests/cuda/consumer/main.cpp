// Links the installed salt::cuda into a plain C++ program and asks it what devices there are (no
// GPU needed: without one the answer says why).
#include <iostream>

#include "salt/backend/cuda/cuda.hpp"

static_assert(salt::Backend<salt::backend::Cuda>);

int main() {
    std::cout << salt::backend::cuda::describe_devices();
    const int n = salt::backend::cuda::device_count();
    std::cout << n << " CUDA device(s)\n";
    return n >= 0 ? 0 : 1;
}
