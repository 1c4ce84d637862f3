"""Reads the event files write_events made with TensorBoard's own event loader and checks every
tag, step and value. Run by tests/tensorboard/readback.sh inside a virtual environment."""
import math
import os
import sys

from tensorboard.backend.event_processing import event_accumulator


def load(directory):
    # Keep every event (TensorBoard samples 4 images and 500 histograms per tag by default).
    accumulator = event_accumulator.EventAccumulator(
        directory, size_guidance={event_accumulator.IMAGES: 0, event_accumulator.HISTOGRAMS: 0})
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
assert [e.step for e in train.Scalars("loss")] == [1, 10, 20, 30, 40, 50], train.Scalars("loss")
assert all(math.isclose(e.value, 0.1, rel_tol=1e-6) for e in train.Scalars("learning_rate"))
losses = [e.value for e in train.Scalars("loss")]
assert losses[-1] < losses[0], losses

evaluation = load(os.path.join(root, "estimator", "eval"))
assert {"accuracy", "loss"} <= set(evaluation.Tags()["scalars"]), evaluation.Tags()
(accuracy,) = evaluation.Scalars("accuracy")
assert accuracy.step == 50 and 0.0 <= accuracy.value <= 1.0, accuracy
images = load(os.path.join(root, "images"))
tags = images.Tags()
assert "input/image/image/0" in tags["images"], tags["images"]
(first, *rest) = images.Images("input/image/image/0")
assert first.step == 1 and first.width == 6 and first.height == 6, first
assert first.encoded_image_string.startswith(b"\x89PNG"), first.encoded_image_string[:8]
assert [e.step for e in images.Images("input/image/image/2")] == [1, 10, 20, 30, 40, 50, 60]
assert {"1_conv2d/kernel", "1_conv2d/output", "3_dense/bias"} <= set(tags["histograms"]), tags["histograms"]
(kernel, *_) = images.Histograms("1_conv2d/kernel")
assert kernel.step == 1 and kernel.histogram_value.num == 3 * 3 * 2, kernel
assert sum(kernel.histogram_value.bucket) == 18, kernel.histogram_value
output = images.Histograms("3_dense/output")[-1]
assert output.step == 60 and output.histogram_value.num == 8 * 2, output
assert {"global_step/sec", "examples/sec", "loss"} <= set(tags["scalars"]), tags["scalars"]
curve = load(os.path.join(root, "images", "eval"))
assert [e.step for e in curve.Scalars("accuracy")] == [20, 40, 60], curve.Scalars("accuracy")
assert [e.step for e in curve.Scalars("loss")] == [20, 40, 60], curve.Scalars("loss")
print("tensorboard read the scalars, the estimators' train and eval runs, images and histograms")
