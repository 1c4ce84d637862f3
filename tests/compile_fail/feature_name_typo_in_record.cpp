// Reading a metric that the record does not hold names the metric and the ones there are.
#include <est/est.hpp>

using namespace est::literals;

// expect: est: reading a field that is not in this record
// expect: no_such_field<est::field_name<est::fixed_string{"accu"}>, est::field_name<est::fixed_string{"accuracy"}>, est::field_name<est::fixed_string{"loss"}> >

int main() {
    auto results = est::fields("accuracy"_f = 0.9, "loss"_f = 0.3);
#ifdef EST_COMPILE_FAIL
    return results["accu"_f] > 0.5 ? 0 : 1;
#else
    return results["accuracy"_f] > 0.5 ? 0 : 1;
#endif
}
