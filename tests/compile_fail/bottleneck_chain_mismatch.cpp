// EXPECT: Conv2d: the input's channel count differs from the in_channels this layer expects
// A stem that ends with 64 channels followed by a conv written for 256: the rule is reported at the
// layer that does not fit, inside the chain.
#include "salt/backend/reference/reference.hpp"
#include "salt/nn/spec.hpp"
using namespace salt;
using Net = nn::Sequential<float, Shape{64, 64, 1}, backend::Reference, nn::spec::conv<1, 64, 7, 2, 3>,
                           nn::spec::batch_norm, nn::spec::relu, nn::spec::max_pool<>, nn::spec::conv<256, 64, 1>>;
int main() { return int(Net::out_shape.c); }
