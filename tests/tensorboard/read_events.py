"""Reads the event files write_events made with TensorBoard's own event loader and checks every
tag, step and value. Run by tests/tensorboard/readback.sh inside a virtual environment."""
import math
import os
import sys

from tensorboard.backend.event_processing import event_accumulator


def load(directory):
    accumulator = event_accumulator.EventAccumulator(directory)
    accumulator.Reload()
    return accumulator


root = sys.argv[1]

known = load(os.path.join(root, "scalars"))
assert sorted(known.Tags()["scalars"]) == ["accuracy", "loss"], known.Tags()
for tag, expected in (("loss", lambda i: 1.0 / (i + 1)), ("accuracy", lambda i: 0.5 + 0.05 * i)):
    events = known.Scalars(tag)
    assert [e.step for e in events] == [10 * i for i in range(10)], [e.step for e in events]
    for i, e in enumerate(events):
        assert math.isclose(e.value, expected(i), rel_tol=1e-6), (tag, i, e.value)
        assert e.wall_time > 1.6e9, e.wall_time

train = load(os.path.join(root, "estimator"))
train_tags = set(train.Tags()["scalars"])
assert {"loss", "learning_rate", "global_step/sec"} <= train_tags, train_tags
assert [e.step for e in train.Scalars("loss")] == [10, 20, 30, 40, 50], train.Scalars("loss")
assert all(math.isclose(e.value, 0.1, rel_tol=1e-6) for e in train.Scalars("learning_rate"))
losses = [e.value for e in train.Scalars("loss")]
assert losses[-1] < losses[0], losses

evaluation = load(os.path.join(root, "estimator", "eval"))
assert {"accuracy", "loss"} <= set(evaluation.Tags()["scalars"]), evaluation.Tags()
(accuracy,) = evaluation.Scalars("accuracy")
assert accuracy.step == 50 and 0.0 <= accuracy.value <= 1.0, accuracy
print("tensorboard read the scalars, the estimator's train run and its eval run")
