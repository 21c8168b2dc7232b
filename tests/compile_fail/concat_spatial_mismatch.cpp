// EXPECT: Concat: an input's height or width differs from the first input's
// ASPP-style concat of branches whose maps differ in size.
#include "salt/nn/merge.hpp"
using namespace salt;
static_assert(nn::check::concat_compatible<Shape{16, 16, 256}, Shape{16, 16, 256}, Shape{15, 16, 256}>());
int main() { return 0; }
