// EXPECT: salt: this backend does not run this scalar type
// EXPECT: Scalar = long double
// The reference backend runs float and double; a long double model does not build.
#include "salt/backend/reference/reference.hpp"
#include "salt/models/deeplabv3.hpp"

using Model = salt::models::DeepLabV3<long double, {.height = 32, .width = 32}, salt::backend::Reference>;
int main() { return int(sizeof(Model)); }
