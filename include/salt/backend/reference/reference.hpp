// salt/backend/reference/reference.hpp — the reference backend: plain scalar C++ on the host.
//
// It is the oracle every faster backend is checked against, so its kernels (in salt/ops/, one op
// per file) are written for clarity, not speed, and are templated on the scalar type so gradient
// checks can run them in double.
#pragma once

#include "salt/core/memory.hpp"

namespace salt::ops {
// Every backend tag derives from this empty type so that an unqualified kernel call written in a
// layer, `conv2d_forward(B{}, ...)`, finds the kernels in salt::ops (and a backend's own overloads
// declared there later) by argument-dependent lookup at instantiation time, whatever the order in
// which the headers were included.
struct op_dispatch {};
}  // namespace salt::ops

namespace salt::backend {

// Tag type: passed by value to every op to pick the reference kernel by overload resolution.
struct reference : ops::op_dispatch {
    static constexpr const char* name = "reference";
    // Activations, parameters and workspaces live in ordinary host memory.
    using memory = host_memory;
};

}  // namespace salt::backend
