// EXPECT: Conv2d: zero or negative dilation (the dilation must be at least 1)
#include "salt/backend/reference/reference.hpp"
#include "salt/nn/spec.hpp"
using namespace salt;
using Net = nn::Sequential<float, Shape{16, 16, 8}, backend::Reference, nn::spec::conv<8, 8, 3, 1, 1, 0>>;
int main() { return int(Net::out_shape.c); }
