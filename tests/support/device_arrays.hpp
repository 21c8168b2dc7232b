// tests/support/device_arrays.hpp — host vectors staged into a backend's memory and back, only
// through the backend's own copies: what a test needs to run an op on a backend whose memory the
// host may not touch (the guarded backend, a GPU).
#pragma once

#include <cstddef>
#include <vector>

#include "salt/core/tensor.hpp"

namespace salt::test {

template <class B, class T>
class DeviceArray {
public:
    DeviceArray(typename B::device& dev, const std::vector<T>& host) : buf_(dev, host.size()) {
        if (!host.empty()) buf_.upload(host);
    }
    DeviceArray(typename B::device& dev, std::size_t n, T fill) : DeviceArray(dev, std::vector<T>(n, fill)) {}
    T* get() { return buf_.data(); }
    const T* cget() const { return buf_.data(); }
    std::vector<T> host() const { return buf_.download(); }
    std::size_t size() const { return buf_.size(); }

private:
    Buffer<T, B> buf_;
};

template <class B, class T>
DeviceArray<B, T> on(typename B::device& dev, const std::vector<T>& host) {
    return DeviceArray<B, T>(dev, host);
}

}  // namespace salt::test
