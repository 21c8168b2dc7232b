// EXPECT: salt::interop: this xt::xtensor_fixed's shape does not hold samples of the salt shape
#include "salt/interop/xtensor.hpp"
using namespace salt;
int main() {
    xt::xtensor_fixed<float, xt::xshape<2, 16, 16, 1>> images;
    return interop::view<Shape{128, 128, 1}>(images).batch();
}
