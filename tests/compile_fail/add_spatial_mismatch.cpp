// EXPECT: Add: the two inputs differ in height or width
// A residual add of a 16x16 map and an 8x8 map.
#include "salt/nn/merge.hpp"
using namespace salt;
static_assert(nn::check::add_compatible<Shape{16, 16, 256}, Shape{8, 8, 256}>());
int main() { return 0; }
