# Finds est's dependencies (Debian packages; see scripts/install-deps.sh) and links them to a target.
# Shared by the build tree and the installed est-config.cmake, so both resolve the same way.
include(CMakeFindDependencyMacro)

find_dependency(xtl)
find_dependency(xtensor 0.24)
find_dependency(Boost 1.74 CONFIG)  # BoostConfig.cmake: CMake 3.30 deprecates FindBoost
find_dependency(OpenMP)
find_dependency(ZLIB)
find_dependency(PNG)
find_dependency(JPEG)
find_dependency(nlohmann_json 3.11)
# Thrust: Debian's, else the CUDA toolkit's (CCCL).
find_path(EST_THRUST_INCLUDE_DIR thrust/version.h PATHS /usr/include $ENV{CUDA_HOME}/include/cccl
  /usr/local/cuda/include/cccl NO_CMAKE_FIND_ROOT_PATH)
if(NOT EST_THRUST_INCLUDE_DIR)
  message(FATAL_ERROR "est needs Thrust's headers (Debian: libthrust-dev; or the CUDA toolkit's)")
endif()
# oneDNN runs the host back end's convolutions, poolings and matrix products. Found by hand:
# Debian's dnnl-config.cmake also demands OpenCL's headers, which the CPU engine does not use.
find_library(EST_DNNL_LIBRARY dnnl)
find_path(EST_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
if(NOT EST_DNNL_LIBRARY OR NOT EST_DNNL_INCLUDE_DIR)
  message(FATAL_ERROR "est needs oneDNN (Debian: libdnnl-dev)")
endif()

# libdeflate inflates the image data of the PNGs est decodes itself (io/png.hpp).
find_library(EST_DEFLATE_LIBRARY deflate)
find_path(EST_DEFLATE_INCLUDE_DIR libdeflate.h)
if(NOT EST_DEFLATE_LIBRARY OR NOT EST_DEFLATE_INCLUDE_DIR)
  message(FATAL_ERROR "est needs libdeflate (Debian: libdeflate-dev)")
endif()

function(est_link_dependencies target)
  # No Thrust system is chosen here: est passes explicit execution policies, and a consumer that
  # compiles CUDA keeps its own device system.
  target_include_directories(${target} SYSTEM INTERFACE ${EST_THRUST_INCLUDE_DIR} ${EST_DNNL_INCLUDE_DIR}
    ${EST_DEFLATE_INCLUDE_DIR})
  target_link_libraries(${target} INTERFACE xtensor Boost::headers OpenMP::OpenMP_CXX ZLIB::ZLIB PNG::PNG JPEG::JPEG
    nlohmann_json::nlohmann_json ${EST_DNNL_LIBRARY} ${EST_DEFLATE_LIBRARY})
endfunction()
