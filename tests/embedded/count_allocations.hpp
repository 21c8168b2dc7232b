// The allocation counter of count_allocations.cpp (every malloc, calloc, realloc, memalign,
// aligned_alloc, posix_memalign and operator new while `counting` is true).
#pragma once
#include <atomic>

namespace embedded_test {
extern std::atomic<bool> counting;
extern std::atomic<long> allocations;
}  // namespace embedded_test
