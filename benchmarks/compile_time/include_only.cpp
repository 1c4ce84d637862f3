// The cost of including est alone.
#include <est/est.hpp>

int main() { return 0; }
