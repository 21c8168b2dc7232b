// salt/backend/cuda/salt_cuda.cu — the one nvcc translation unit of the CUDA backend: it instantiates
// every kernel and defines everything cuda.hpp declares. CMake's salt::cuda target compiles it; a
// build without CMake compiles it once with nvcc (-std=c++20) and links it with the program's other
// objects and -lcudart -lcudnn.
#include "salt/backend/cuda/cuda_impl.cuh"
