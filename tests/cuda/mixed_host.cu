// The nvcc half of est_mixed_host (mixed_host.hpp, mixed_host.cpp). Listed first, so that the
// linker takes the inline definitions both halves have from this object.
#include "mixed_host.hpp"

mixed_host::result run_in_cuda_translation_unit() { return mixed_host::run(); }
