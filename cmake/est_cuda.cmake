# CUDA for est's own programs: where nvcc is present (and EST_ENABLE_CUDA is on), enables the CUDA
# language for architectures 80 and 90 (unless CMAKE_CUDA_ARCHITECTURES says otherwise) and sets
# EST_CUDA to ON; the tests, the example and the benchmarks then add their CUDA programs. Included
# from the top-level CMakeLists.txt: enable_language must run in the directory above every target
# that uses the language.
set(EST_CUDA OFF)
if(EST_ENABLE_CUDA)
  find_program(EST_NVCC nvcc PATHS /usr/local/cuda/bin)
  if(EST_NVCC AND NOT DEFINED ENV{CUDACXX})
    set(ENV{CUDACXX} ${EST_NVCC})
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_HOST_COMPILER ${CMAKE_CXX_COMPILER})   # check_language leaves it empty
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION -std=c++20)  # CMake 3.25 does not know nvcc's C++20 flag
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION -std=c++20)
    # By default, machine code for sm_80 and sm_90 from one PTX of compute_80 (kept for later GPUs):
    # est's kernels use nothing of sm_90's own, and one front-end pass (cicc) instead of two saves
    # about a quarter of each CUDA program's compile.
    set(EST_CUDA_GENERATE_CODE "")
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES OFF)
      set(EST_CUDA_GENERATE_CODE "--generate-code=arch=compute_80,code=[compute_80,sm_80,sm_90]")
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(EST_CUDA ON)
    # cuDNN, where it is installed: the CUDA toolkit's directories, or PyPI's nvidia-cudnn-cu13 wheel
    # (pip install nvidia-cudnn-cu13; give its site-packages/nvidia/cudnn as EST_CUDNN_ROOT). The
    # wheel ships libcudnn.so.9 alone, without the unversioned name.
    # EST_ENABLE_CUDNN=OFF builds them on im2col + cuBLAS even where cuDNN is installed.
    set(EST_CUDNN OFF)
    if(EST_ENABLE_CUDNN)
      find_path(EST_CUDNN_INCLUDE_DIR cudnn.h HINTS ${EST_CUDNN_ROOT}/include ${CUDAToolkit_INCLUDE_DIRS})
      find_library(EST_CUDNN_LIBRARY NAMES cudnn libcudnn.so.9 HINTS ${EST_CUDNN_ROOT}/lib ${CUDAToolkit_LIBRARY_DIR})
      if(EST_CUDNN_INCLUDE_DIR AND EST_CUDNN_LIBRARY)
        set(EST_CUDNN ON)
      endif()
    endif()
    if(EST_CUDNN)
      message(STATUS "est: cuDNN ${EST_CUDNN_LIBRARY}: est::cuda's convolutions use it")
    else()
      message(STATUS "est: cuDNN not found or EST_ENABLE_CUDNN off: est::cuda's convolutions are im2col + cuBLAS")
    endif()
  else()
    message(STATUS "est: no CUDA compiler found; the CUDA programs are not built")
  endif()
endif()

# est_add_cuda_program(<name> <source>...): an executable of est's whose .cu sources nvcc compiles
# (its .cpp sources, the C++ compiler), with est::est, cuBLAS, the CUDA runtime and cuDNN where it
# is used (EST_CUDNN defined).
function(est_add_cuda_program name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE est::est CUDA::cublas CUDA::cudart)
  target_compile_options(
    ${name} PRIVATE "$<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr;-Xcompiler=-fopenmp;${EST_CUDA_GENERATE_CODE}>")
  if(EST_CUDNN)
    target_compile_definitions(${name} PRIVATE EST_CUDNN)
    target_include_directories(${name} PRIVATE ${EST_CUDNN_INCLUDE_DIR})
    target_link_libraries(${name} PRIVATE ${EST_CUDNN_LIBRARY})
  endif()
  set_target_properties(${name} PROPERTIES CUDA_STANDARD 20 CUDA_STANDARD_REQUIRED ON)
endfunction()
