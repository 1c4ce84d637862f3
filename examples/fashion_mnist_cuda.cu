// The flagship example compiled by nvcc, so that --device cuda runs it on the GPU (est::cuda).
#include "fashion_mnist.cpp"
