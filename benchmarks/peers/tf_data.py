"""tf.data (tensorflow-cpu 2.15.1) on the same TFRecord shards as benchmarks/input_pipeline, with
the same stages and thread counts; prints, for each measurement, est's examples/s, tf.data's
examples/s and est / tf.data. Not run by CI. Usage (from the repository root, after `make bench`
built the benchmarks):

    python3 benchmarks/peers/tf_data.py [--build build] [--venv build/tf-estimator-venv]
        [--repeats 3] [--train-steps N] [--quick]

Each repeat runs build/benchmarks/input_pipeline (which also writes the shards to
$TMPDIR/est-input-pipeline-benchmark; --train-steps goes to its CNN training comparison, which has
no tf.data counterpart here) and then tf.data, in turn; each figure is the median of the repeats.
--quick: 1 repeat, 5 CNN steps. TensorFlow comes from PyPI, pinned to tensorflow-cpu 2.15.1, in the
same virtual environment as benchmarks/peers/tf_estimator.py (default build/tf-estimator-venv,
created and filled when missing); the script re-runs itself inside it for the tf.data side.

tf.data is written the way its performance guide says: records batched first and counted per
batch (one step of an in-graph Dataset.reduce per batch of 64, so neither Python nor a per-element
reduce step is measured), tf.train.Example parsed a batch at a time with the vectorized
tf.io.parse_example, num_parallel_calls, prefetch and the interleave's parallelism AUTOTUNE,
within a private thread pool and an autotuning CPU budget of the stage's thread count. PNG has no
batched decoder, so the full pipeline is measured in two forms, per example (parse_single_example
and decode_png mapped in parallel, then batch) and per batch (batch, parse_example, decode_png
over the batch with map_fn); the faster one is tf.data's figure and both are printed. est reads,
parses and decodes a record at a time (its parse and decode stages map in parallel with the
thread count) and counts every record of the read and parse stages."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tf_estimator import PINS, TF_PIN, ensure_tf_venv, rounded  # noqa: E402  (the shared TensorFlow environment)

SHARDS = os.path.join(tempfile.gettempdir(), "est-input-pipeline-benchmark")
BATCH = 64
FIGURES = ("read_crc", "read_parse", "read_parse_decode_batch")


def measure_tf_data():
    import tensorflow as tf

    if tf.__version__ != TF_PIN:
        sys.exit(f"tf_data.py: needs tensorflow-cpu {TF_PIN}, found {tf.__version__} in {sys.prefix}")
    autotune = tf.data.AUTOTUNE
    feature_spec = {
        "image/encoded": tf.io.FixedLenFeature([], tf.string),
        "image/class/label": tf.io.FixedLenFeature([], tf.int64),
    }

    def standardized(png):
        image = tf.io.decode_png(png, channels=1)
        return (tf.cast(image, tf.float32) / 255.0 - 0.2860) / 0.3530

    def decode_one(record):
        parsed = tf.io.parse_single_example(record, feature_spec)
        return standardized(parsed["image/encoded"]), tf.cast(parsed["image/class/label"], tf.int32)

    def decode_batch(records):
        parsed = tf.io.parse_example(records, feature_spec)
        images = tf.map_fn(standardized, parsed["image/encoded"],
                           fn_output_signature=tf.TensorSpec([28, 28, 1], tf.float32))
        return images, tf.cast(parsed["image/class/label"], tf.int32)

    def records(threads):
        files = tf.data.Dataset.list_files(os.path.join(SHARDS, "train-*.tfrecord"), shuffle=False)
        return files.interleave(tf.data.TFRecordDataset, cycle_length=threads, block_length=16,
                                num_parallel_calls=autotune if threads > 1 else None, deterministic=True)

    def with_threads(dataset, threads):
        options = tf.data.Options()
        options.threading.private_threadpool_size = threads
        options.autotune.cpu_budget = threads
        options.deterministic = True
        return dataset.with_options(options)

    @tf.function
    def count(dataset):
        # One reduce step per batch: the batch's leading dimension (the labels' for a tuple).
        return dataset.reduce(tf.constant(0, tf.int64),
                              lambda n, batch: n + tf.cast(tf.shape(tf.nest.flatten(batch)[-1])[0], tf.int64))

    def rate(dataset, threads):
        dataset = with_threads(dataset, threads)
        count(dataset.take(1))  # traces count() for this element type outside the timing
        start = time.perf_counter()
        examples = int(count(dataset))
        seconds = time.perf_counter() - start
        if examples != 60000:
            sys.exit(f"tf_data.py: counted {examples} examples in {SHARDS}, not 60000")
        return examples / seconds

    result = {}
    rate(records(1).batch(BATCH), 1)  # warms the page cache
    for threads in (1, 2):
        suffix = "_1_thread" if threads == 1 else "_2_threads"
        result["read_crc" + suffix] = rate(records(threads).batch(BATCH), threads)
        parsed = records(threads).batch(BATCH).map(lambda batch: tf.io.parse_example(batch, feature_spec),
                                                   num_parallel_calls=autotune)
        result["read_parse" + suffix] = rate(parsed, threads)
        per_example = records(threads).map(decode_one, num_parallel_calls=autotune).batch(BATCH).prefetch(autotune)
        per_batch = records(threads).batch(BATCH).map(decode_batch, num_parallel_calls=autotune).prefetch(autotune)
        result["decode_per_example" + suffix] = rate(per_example, threads)
        result["decode_per_batch" + suffix] = rate(per_batch, threads)
        result["read_parse_decode_batch" + suffix] = max(result["decode_per_example" + suffix],
                                                         result["decode_per_batch" + suffix])
    result["tensorflow"] = tf.__version__
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("Usage (")[0].strip())
    parser.add_argument("--build", default="build", help="est's build directory (default: build)")
    parser.add_argument("--venv", default=None, help="TensorFlow's environment (default: BUILD/tf-estimator-venv)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (default: 3)")
    parser.add_argument("--train-steps", type=int, default=None,
                        help="input_pipeline's CNN training steps (default: its own, 150)")
    parser.add_argument("--quick", action="store_true", help="1 repeat and 5 CNN steps: a check that it runs")
    parser.add_argument("--tf-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tf_only:
        print(json.dumps(measure_tf_data()))
        return
    repeats = 1 if args.quick else args.repeats
    if repeats < 1:
        parser.error("--repeats must be positive")
    train_steps = 5 if args.quick and args.train_steps is None else args.train_steps

    binary = os.path.join(args.build, "benchmarks", "input_pipeline")
    if not os.path.exists(binary):
        sys.exit(f"tf_data.py: {binary} is missing; build it with `cmake --build {args.build} --target input_pipeline`")
    python = ensure_tf_venv(args.venv or os.path.join(args.build, "tf-estimator-venv"), own=args.venv is None)

    est_runs, tf_runs = [], []
    for repeat in range(repeats):
        command = [binary] + (["--train-steps", str(train_steps)] if train_steps else [])
        est_run = subprocess.run(command, check=True, capture_output=True, text=True)
        est_runs.append(json.loads(est_run.stdout.strip().splitlines()[-1]))
        print(f"[{repeat + 1}/{repeats}] est:     {json.dumps(est_runs[-1])}", flush=True)
        tf_run = subprocess.run([python, os.path.abspath(__file__), "--tf-only"], capture_output=True, text=True,
                                env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
        if tf_run.returncode != 0:
            sys.exit(f"tf_data.py: the tf.data side failed:\n{tf_run.stderr[-6000:]}")
        tf_runs.append(json.loads(tf_run.stdout.strip().splitlines()[-1]))
        print(f"[{repeat + 1}/{repeats}] tf.data: {json.dumps(tf_runs[-1])}", flush=True)

    keys = [figure + suffix for suffix in ("_1_thread", "_2_threads") for figure in FIGURES]
    est = {k: statistics.median(run[k] for run in est_runs) for k in keys}
    tf_data = {k: statistics.median(run[k] for run in tf_runs)
               for k in tf_runs[0] if k != "tensorflow"}
    ratios = {k: est[k] / tf_data[k] for k in keys}
    print(f"\nexamples/s, medians of {repeats} run(s); tf.data {tf_runs[0]['tensorflow']}")
    print(f"{'figure':34s} {'est':>10s} {'tf.data':>10s} {'est/tf.data':>12s}")
    for k in keys:
        print(f"{k:34s} {est[k]:10,.0f} {tf_data[k]:10,.0f} {ratios[k]:12.2f}")
        if k.startswith("read_parse_decode_batch"):
            suffix = k[len("read_parse_decode_batch"):]
            print(f"{'  tf.data per example / per batch':34s} {'':10s} {tf_data['decode_per_example' + suffix]:10,.0f}"
                  f" / {tf_data['decode_per_batch' + suffix]:,.0f}")
    cnn = {k: statistics.median(run[k] for run in est_runs) for k in
           ("cnn_train_in_memory_images_per_sec", "cnn_train_tfrecord_images_per_sec", "pipeline_over_in_memory")}
    print(f"est only: CNN training from the shards at {cnn['pipeline_over_in_memory']:.3f} of its in-memory rate")
    print(json.dumps(rounded({"tensorflow": tf_runs[0]["tensorflow"], "pins": PINS, "repeats": repeats, "batch": BATCH,
                              "est": est, "tf_data": tf_data, "est_over_tf_data": ratios, "est_cnn_training": cnn})))


if __name__ == "__main__":
    main()
