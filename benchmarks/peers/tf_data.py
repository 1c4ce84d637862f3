"""tf.data on the same TFRecord shards as benchmarks/input_pipeline, with the same stages and
thread counts; prints tf.data's examples/s and the ratio est / tf.data for each measurement.
Not run by CI. Usage (from the repository root, after `make bench` built the benchmarks):

    python3 benchmarks/peers/tf_data.py [--build build] [--venv build/peers-venv]

It runs build/benchmarks/input_pipeline (which also writes the shards to
$TMPDIR/est-input-pipeline-benchmark), installs tensorflow-cpu from PyPI into a virtual
environment if needed, and re-runs itself inside it for the tf.data side."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SHARDS = os.path.join(tempfile.gettempdir(), "est-input-pipeline-benchmark")
BATCH = 64


def measure_tf_data():
    import tensorflow as tf

    feature_spec = {
        "image/encoded": tf.io.FixedLenFeature([], tf.string),
        "image/class/label": tf.io.FixedLenFeature([], tf.int64),
    }

    def parse(record):
        return tf.io.parse_single_example(record, feature_spec)

    def decode(record):
        parsed = parse(record)
        image = tf.io.decode_png(parsed["image/encoded"], channels=1)
        image = (tf.cast(image, tf.float32) / 255.0 - 0.2860) / 0.3530
        return image, tf.cast(parsed["image/class/label"], tf.int32)

    def records(threads):
        files = tf.data.Dataset.list_files(os.path.join(SHARDS, "train-*.tfrecord"), shuffle=False)
        return files.interleave(tf.data.TFRecordDataset, cycle_length=threads, block_length=16,
                                num_parallel_calls=threads if threads > 1 else None, deterministic=True)

    def with_threads(dataset, threads):
        options = tf.data.Options()
        options.threading.private_threadpool_size = threads
        options.deterministic = True
        return dataset.with_options(options)

    def rate(dataset, batched=False):
        # Counted inside the graph (Dataset.reduce), so that Python's per-element cost is not measured.
        if batched:
            count = lambda n, element: n + tf.cast(tf.shape(element[1])[0], tf.int64)
        else:
            count = lambda n, element: n + 1
        start = time.perf_counter()
        examples = int(dataset.reduce(tf.constant(0, tf.int64), count))
        return examples / (time.perf_counter() - start)

    result = {}
    rate(records(1))  # warms the page cache
    for threads in (1, 2):
        suffix = "_1_thread" if threads == 1 else "_2_threads"
        parallel = threads if threads > 1 else None
        result["read_crc" + suffix] = rate(with_threads(records(threads), threads))
        result["read_parse" + suffix] = rate(with_threads(records(threads).map(parse, num_parallel_calls=parallel), threads))
        pipeline = records(threads).map(decode, num_parallel_calls=parallel).batch(BATCH).prefetch(2)
        result["read_parse_decode_batch" + suffix] = rate(with_threads(pipeline, threads), batched=True)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--venv", default=None)
    parser.add_argument("--tf-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tf_only:
        print(json.dumps(measure_tf_data()))
        return

    est_run = subprocess.run([os.path.join(args.build, "benchmarks", "input_pipeline")], check=True,
                             capture_output=True, text=True)
    est = json.loads(est_run.stdout.strip().splitlines()[-1])

    venv = args.venv or os.path.join(args.build, "peers-venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python) or subprocess.run([python, "-c", "import tensorflow"],
                                                    capture_output=True).returncode != 0:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "tensorflow-cpu"], check=True)
    tf_run = subprocess.run([python, os.path.abspath(__file__), "--tf-only"], check=True, capture_output=True,
                            text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    tf_data = json.loads(tf_run.stdout.strip().splitlines()[-1])

    ratios = {}
    for key, value in tf_data.items():
        ratios[key] = est[key] / value
        print(f"{key:32s} est {est[key]:10.0f}  tf.data {value:10.0f}  est/tf.data {ratios[key]:.2f}")
    print(json.dumps({"est": {k: est[k] for k in tf_data}, "tf_data": tf_data, "est_over_tf_data": ratios}))


if __name__ == "__main__":
    main()
