// How est's functions that depend on no template argument (file formats, checkpoints, TensorBoard,
// run descriptions) are compiled. Header-only (the default): their definitions come with the headers,
// marked inline, and every translation unit that calls one compiles it. Separate compilation
// (EST_SEPARATE_COMPILATION, which CMake's est::est target sets): the headers only declare them, and
// one library translation unit (src/est.cpp, defining EST_LIBRARY_SOURCE too) defines them, so a
// user's translation unit neither parses their dependencies (nlohmann/json, <regex>) nor
// optimizes their code. The two modes must not be mixed in one program.
#pragma once

#if defined(EST_SEPARATE_COMPILATION)
/// Marks the definition of a function defined in an `impl/*.ipp` file.
#define EST_DECL
#if defined(EST_LIBRARY_SOURCE)
/// Defined where the `impl/*.ipp` definitions are to be compiled.
#define EST_DEFINITIONS 1
#endif
#else
#define EST_DECL inline
#define EST_DEFINITIONS 1
#endif
