// Reading a metric that the record does not hold names the metric and the ones there are.
#include <est/est.hpp>

using namespace est::literals;

// expect: est: reading a field that is not in this record
// names: no_such_field<
// names: "accu"
// names: "accuracy"
// names: "loss"

int main() {
    auto results = est::fields("accuracy"_f = 0.9, "loss"_f = 0.3);
#ifdef EST_COMPILE_FAIL
    return results["accu"_f] > 0.5 ? 0 : 1;
#else
    return results["accuracy"_f] > 0.5 ? 0 : 1;
#endif
}
