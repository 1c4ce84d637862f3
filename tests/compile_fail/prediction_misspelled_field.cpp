// predict() yields a record of the PREDICT spec's predictions per example: a misspelled field does
// not compile and names the fields there are; the twin reads "classes".
#include "estimator_fixture.hpp"

using namespace est::literals;

// expect: est: reading a field that is not in this record
// names: no_such_field<
// names: "class"
// names: "classes"

int main() {
    auto estimator = est::make_estimator<fixture::model, fixture::input<est::shape<4, 4, 1>>>(fixture::classifier);
    std::int64_t sum = 0;
    for (auto const& p : estimator.predict(fixture::dataset<est::shape<4, 4, 1>>))
#ifdef EST_COMPILE_FAIL
        sum += p["class"_f];
#else
        sum += p["classes"_f];
#endif
    return sum >= 0 ? 0 : 1;
}
