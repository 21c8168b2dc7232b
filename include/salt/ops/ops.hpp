// salt/ops/ops.hpp — every reference-backend op (forward and backward). See docs/ops.md.
#pragma once

#include "salt/ops/add.hpp"
#include "salt/ops/batch_norm.hpp"
#include "salt/ops/concat.hpp"
#include "salt/ops/conv2d.hpp"
#include "salt/ops/dropout.hpp"
#include "salt/ops/global_avg_pool.hpp"
#include "salt/ops/max_pool.hpp"
#include "salt/ops/relu.hpp"
#include "salt/ops/resize_bilinear.hpp"
#include "salt/ops/sigmoid.hpp"
