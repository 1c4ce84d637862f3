// The library part of est under separate compilation (est/core/config.hpp): every function that
// depends on no template argument, defined once here.
#define EST_LIBRARY_SOURCE
#include <est/est.hpp>
