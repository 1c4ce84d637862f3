"""Reads the event files write_events made with TensorBoard's own event loader and checks every
tag, step and value. Run by tests/tensorboard/readback.sh inside a virtual environment."""
import math
import sys

from tensorboard.backend.event_processing import event_accumulator

accumulator = event_accumulator.EventAccumulator(sys.argv[1])
accumulator.Reload()
tags = accumulator.Tags()["scalars"]
assert sorted(tags) == ["accuracy", "loss"], tags
for tag, expected in (("loss", lambda i: 1.0 / (i + 1)), ("accuracy", lambda i: 0.5 + 0.05 * i)):
    events = accumulator.Scalars(tag)
    assert [e.step for e in events] == [10 * i for i in range(10)], [e.step for e in events]
    for i, e in enumerate(events):
        assert math.isclose(e.value, expected(i), rel_tol=1e-6), (tag, i, e.value)
        assert e.wall_time > 1.6e9, e.wall_time
print("tensorboard read", len(tags), "tags x 10 steps")
