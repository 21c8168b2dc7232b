// EXPECT: Conv2d: the input's channel count differs from the in_channels this layer expects
// A 3-channel image fed to a conv that expects 64 channels.
#include "salt/backend/reference/reference.hpp"
#include "salt/nn/spec.hpp"
using namespace salt;
using Net = nn::Sequential<float, Shape{32, 32, 3}, backend::Reference, nn::spec::conv<64, 128, 3, 1, 1>>;
int main() { return int(Net::out_shape.c); }
