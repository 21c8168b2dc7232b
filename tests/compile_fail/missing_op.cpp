// EXPECT: salt: this backend does not implement an op that is used here
// EXPECT: Backend = Partial
// EXPECT: salt::Op::conv2d_backward_data
// A backend that declares every op of the reference but the convolution's data gradient: the model
// it is chosen for does not build, and the error names the backend and the missing op.
#include "salt/backend/reference/reference.hpp"
#include "salt/models/deeplabv3.hpp"

struct Partial : salt::backend::Reference {
    static constexpr const char* name = "partial";
    static constexpr salt::OpSet ops = salt::OpSet::from_bits(salt::backend::Reference::ops.bits_ &
                                                              ~salt::OpSet::bit(salt::Op::conv2d_backward_data));
    struct device {
        using backend = Partial;
        device() = default;
        explicit device(options) {}
    };
};

using Model = salt::models::DeepLabV3<float, {.height = 32, .width = 32}, Partial>;
int main() { return int(sizeof(Model)); }
