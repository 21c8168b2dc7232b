// EXPECT: Conv2d: the (dilated) kernel is larger than the padded input
// A 3x3 conv with dilation 36 and no padding on a 16x16 map: the dilated kernel spans 73 pixels.
#include "salt/backend/reference/reference.hpp"
#include "salt/nn/spec.hpp"
using namespace salt;
using Net = nn::Sequential<float, Shape{16, 16, 8}, backend::Reference, nn::spec::conv<8, 8, 3, 1, 0, 36>>;
int main() { return int(Net::out_shape.c); }
