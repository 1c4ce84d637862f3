// Injected I/O failures for the disk-fault tests (tests/unit/estimator/disk_faults.cpp): the test
// executable interposes open, write, fsync, close and rename (support/io_faults.cpp). Disarmed they
// only pass through; armed, they count the calls of this process and make one of them fail.
#pragma once

#include <string>

namespace test::io_faults {

/// Counts calls from now on without failing any.
void count();
/// Counts calls from now on; the one numbered `call` (from 0) fails, with ENOSPC where the call
/// writes data or creates a file (a full disk) and EIO otherwise.
void fail_call(long call);
/// Stops counting and failing.
void disarm();
/// The calls counted since the last count() or fail_call().
long calls();
/// What failed ("write", "fsync", ...), or "" if the failing call was not reached.
std::string failed();

}  // namespace test::io_faults
