// EXPECT: DeepLabV3: the output stride must be 8 or 16
#include "salt/backend/reference/reference.hpp"
#include "salt/models/deeplabv3.hpp"
using Model = salt::models::DeepLabV3<float, {.output_stride = 32}, salt::backend::Reference>;
int main() { return int(Model::in_shape.c); }
