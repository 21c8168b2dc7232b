// salt/io/image.hpp — a plain interleaved image (height x width x channels, row-major, channels last).
//
// This is the exchange type between the PNG reader/writer, resizing, augmentation, drawing and the
// data set. Pixel (y, x, c) sits at (y*width + x)*channels + c, the same order as one NHWC sample.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace salt::io {

template <class T>
struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<T> pixels;

    Image() = default;
    Image(int w, int h, int c, T fill = T(0))
        : width(w), height(h), channels(c), pixels(std::size_t(w) * std::size_t(h) * std::size_t(c), fill) {}

    std::size_t size() const { return pixels.size(); }
    bool empty() const { return pixels.empty(); }
    T* data() { return pixels.data(); }
    const T* data() const { return pixels.data(); }

    T& at(int y, int x, int c = 0) {
        assert(y >= 0 && y < height && x >= 0 && x < width && c >= 0 && c < channels);
        return pixels[(std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels) + std::size_t(c)];
    }
    const T& at(int y, int x, int c = 0) const {
        assert(y >= 0 && y < height && x >= 0 && x < width && c >= 0 && c < channels);
        return pixels[(std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels) + std::size_t(c)];
    }
    bool same_geometry(const Image& o) const { return width == o.width && height == o.height && channels == o.channels; }
    bool operator==(const Image&) const = default;
};

using Image8 = Image<std::uint8_t>;
using Image16 = Image<std::uint16_t>;
using ImageF = Image<float>;

}  // namespace salt::io
