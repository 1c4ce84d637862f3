# Finds est's dependencies (Debian packages; see scripts/install-deps.sh) and links them to a target.
# Shared by the build tree and the installed est-config.cmake, so both resolve the same way.
include(CMakeFindDependencyMacro)

if(NOT DEFINED BLA_VENDOR)
  set(BLA_VENDOR OpenBLAS)
endif()
# Prefer Debian's OpenMP build of OpenBLAS: it shares the OpenMP thread pool with Thrust's OMP
# kernels. The pthread build keeps its own threads spinning beside OpenMP's, and on two cores the
# two pools take turns at a fraction of the speed.
if(BLA_VENDOR STREQUAL "OpenBLAS" AND NOT BLAS_openblas_LIBRARY)
  find_library(EST_OPENBLAS_OPENMP_LIBRARY openblas
    PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
  if(EST_OPENBLAS_OPENMP_LIBRARY)
    set(BLAS_openblas_LIBRARY ${EST_OPENBLAS_OPENMP_LIBRARY} CACHE FILEPATH "OpenBLAS (OpenMP build)")
    set(LAPACK_openblas_LIBRARY ${EST_OPENBLAS_OPENMP_LIBRARY} CACHE FILEPATH "OpenBLAS (OpenMP build)")
  endif()
endif()
# The GEMM under est's layers (benchmarks/README.md has the measurements behind the default):
#   onednn   - oneDNN's sgemm (Debian: libdnnl-dev), which picks AVX-512 kernels where the processor has them;
#   openblas - xtensor-blas's BLAS layer over OpenBLAS;
#   blis     - the same layer over BLIS's CBLAS (Debian: libblis-dev), OpenMP build.
set(EST_GEMM "onednn" CACHE STRING "est's GEMM library: onednn, openblas or blis")
set_property(CACHE EST_GEMM PROPERTY STRINGS onednn openblas blis)
set(EST_GEMM_LIBRARY ${EST_GEMM})
if(EST_GEMM_LIBRARY STREQUAL "onednn")
  # Found by hand: Debian's dnnl-config.cmake also demands OpenCL's headers, which sgemm does not use.
  find_library(EST_DNNL_LIBRARY dnnl)
  find_path(EST_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h)
  if(NOT EST_DNNL_LIBRARY OR NOT EST_DNNL_INCLUDE_DIR)
    message(WARNING "est: oneDNN not found (Debian: libdnnl-dev); GEMMs go through OpenBLAS, which is slower")
    set(EST_GEMM_LIBRARY openblas)
  endif()
elseif(EST_GEMM_LIBRARY STREQUAL "blis")
  find_library(EST_BLIS_LIBRARY blis PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/blis-openmp NO_DEFAULT_PATH)
  find_library(EST_BLIS_LIBRARY blis)
  if(NOT EST_BLIS_LIBRARY)
    message(FATAL_ERROR "est: EST_GEMM=blis needs BLIS (Debian: libblis-dev)")
  endif()
elseif(NOT EST_GEMM_LIBRARY STREQUAL "openblas")
  message(FATAL_ERROR "est: EST_GEMM must be onednn, openblas or blis, not '${EST_GEMM}'")
endif()
message(STATUS "est: GEMMs through ${EST_GEMM_LIBRARY}")
find_dependency(xtl)
find_dependency(xtensor 0.24)
find_dependency(xtensor-blas 0.20)
find_dependency(Boost 1.74)
find_dependency(OpenMP)
find_dependency(ZLIB)
find_dependency(PNG)
find_dependency(JPEG)
find_dependency(nlohmann_json 3.11)
find_path(EST_THRUST_INCLUDE_DIR thrust/version.h PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH)
if(NOT EST_THRUST_INCLUDE_DIR)
  message(FATAL_ERROR "est needs Thrust's headers (Debian: libthrust-dev)")
endif()

function(est_link_dependencies target)
  # Thrust runs on the host: sequential host system, OpenMP for the "device" algorithms that est's
  # host back end dispatches to. Without these definitions Thrust looks for the CUDA runtime.
  target_compile_definitions(${target} INTERFACE
    THRUST_HOST_SYSTEM=THRUST_HOST_SYSTEM_CPP
    THRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_OMP)
  target_include_directories(${target} SYSTEM INTERFACE ${EST_THRUST_INCLUDE_DIR})
  if(EST_GEMM_LIBRARY STREQUAL "blis")
    # Ahead of xtensor-blas's OpenBLAS, so that cblas_sgemm binds to BLIS.
    target_compile_definitions(${target} INTERFACE EST_GEMM_BLIS)
    target_link_libraries(${target} INTERFACE ${EST_BLIS_LIBRARY})
  endif()
  target_link_libraries(${target} INTERFACE xtensor xtensor-blas Boost::headers OpenMP::OpenMP_CXX
    ZLIB::ZLIB PNG::PNG JPEG::JPEG nlohmann_json::nlohmann_json)
  if(EST_GEMM_LIBRARY STREQUAL "onednn")
    target_compile_definitions(${target} INTERFACE EST_GEMM_ONEDNN)
    target_include_directories(${target} SYSTEM INTERFACE ${EST_DNNL_INCLUDE_DIR})
    target_link_libraries(${target} INTERFACE ${EST_DNNL_LIBRARY})
  endif()
endfunction()
