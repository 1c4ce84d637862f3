// The nvcc half of est_mixed_host_nvcc_first and est_mixed_host_cpp_first (mixed_host.hpp,
// mixed_host.cpp): linked first in one, so that the linker takes the inline definitions both halves
// have from this object, and last in the other.
#include "mixed_host.hpp"

mixed_host::result run_in_cuda_translation_unit() { return mixed_host::run(); }
