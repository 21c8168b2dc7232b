// EXPECT: salt::interop: this fixed-size Eigen tensor's dimensions do not hold samples of the salt shape
// A fixed-size Eigen tensor of (N, C, H, W) habit handed to a model that reads (N, H, W, C).
#include "salt/interop/eigen.hpp"
using namespace salt;
int main() {
    Eigen::TensorFixedSize<float, Eigen::Sizes<1, 3, 8, 8>, Eigen::RowMajor> images;
    return interop::view<Shape{8, 8, 3}>(images).batch();
}
