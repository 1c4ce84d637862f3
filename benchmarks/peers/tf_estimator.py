"""TensorFlow's own tf.estimator (tensorflow-cpu 2.15.1 with tensorflow-estimator 2.15.0, the
last release that has it) beside est's estimator (build/benchmarks/estimator_throughput): the same
MLP and CNN, model_fn, optimizer, data, batch sizes, step counts and 2 threads; prints, for each
model, the images/s of training, evaluation and prediction of both and est / TF. Not run by CI.
Usage (from the repository root, after `make bench` or `cmake --build build --target
estimator_throughput`):

    python3 benchmarks/peers/tf_estimator.py [--build build] [--venv build/tf-estimator-venv]
        [--repeats 5] [--models cnn,mlp] [--train-steps N] [--warmup-steps 20]
        [--inter-op-threads 2] [--onednn 1] [--data-dir /usr/share/datasets/fashion-mnist] [--quick]

What is compared, on each side:
- the model_fn: MLP 784-256-128-10 (ReLU), or the CNN of tf.estimator's MNIST tutorial (conv
  5x5x32 same ReLU, max-pool 2, conv 5x5x64, max-pool 2, dense 1024 ReLU, dropout 0.4 in training,
  dense 10; NHWC; tf.compat.v1.layers as that tutorial writes it); sparse softmax cross-entropy;
  tf.compat.v1.train.AdamOptimizer with est's example schedule (0.001 falling linearly to 5% of
  itself over the run, polynomial_decay); eval metrics accuracy and top-2 accuracy; predictions
  classes and probabilities.
- data: Debian's Fashion-MNIST IDX files, standardized as (x / 255 - 0.2860) / 0.3530; training
  input from_tensor_slices, shuffle(60000), repeat, batch(64) (TF: plus prefetch(AUTOTUNE));
  evaluation and prediction over the 10,000 test images in batches of 256.
- run_config: TensorFlow's defaults on both sides (summaries every 100 steps, a checkpoint every
  600 s, so in these runs at the end of train(); TF also writes one before the first step). Not
  the same work: est's summaries add histograms of every parameter and activation and input
  images to the loss, TF's hold the loss only (the model_fn adds none, as in TF's tutorials).
- training: one train() call of warm-up + N steps (est's defaults: 20 + 300 CNN, 20 + 3,000 MLP).
  The steady-state rate is timed by a hook, from the after_run of the last warm-up step to the
  after_run of the last step (est: an est hook; TF: a SessionRunHook), so both hold each step's
  input, hooks and summaries, and neither holds graph building, session creation, the first
  steps or the final checkpoint (reported apart as setup and final-checkpoint seconds).
- evaluate and predict: the wall time of the whole call (TF: building the graph, creating the
  session and restoring the checkpoint included; est keeps its model in memory), and, as
  "loop", from the first before_run to the last after_run; predict's per-example dicts are all
  read.
- threads: est on OpenMP's 2 threads (OMP_NUM_THREADS=2); TF with intra_op_parallelism_threads=2
  and --inter-op-threads (default 2), oneDNN's ops on (TF_ENABLE_ONEDNN_OPTS=1: TF 2.15 turns them
  on by itself only on CPUs with AVX-512 VNNI/BF16, AVX-VNNI or AMX).

est and TF run in turn, each model in a process of its own, --repeats times (default 5); each
figure is the median of its runs, with the range, and est / TF is the ratio of the medians (with
the range of the runs' paired ratios). The last line printed is one JSON object. --quick (1
repeat, 30 CNN and 300 MLP steps) checks that everything runs.

TensorFlow comes from PyPI: the pinned versions are installed into build/tf-estimator-venv
(created with a Python 3.9-3.11 when missing; benchmarks/peers/tf_data.py uses the same one), or
into a --venv that does not exist yet (an existing one must have them), and the script re-runs itself inside it for the TF side, which checks the
versions after import. TF's input_fn feeds the arrays through placeholders into an initializable
iterator (TF's recipe for NumPy data with Estimators), because from_tensor_slices on the arrays
would embed 188 MB of constants in the graph, which Estimator writes to graph.pbtxt and to every
checkpoint's .meta file."""
import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TF_PIN = "2.15.1"
ESTIMATOR_PIN = "2.15.0"
PINS = [f"tensorflow-cpu=={TF_PIN}", f"tensorflow-estimator=={ESTIMATOR_PIN}"]
THREADS = 2
BATCH = 64
EVAL_BATCH = 256
WARMUP_STEPS = 20
STEPS = {"cnn": 300, "mlp": 3000}
QUICK_STEPS = {"cnn": 30, "mlp": 300}
DATA_DIR = "/usr/share/datasets/fashion-mnist"
SEED = 42
MEAN, DEVIATION = 0.2860, 0.3530
FIGURES = ("train", "evaluate", "predict", "evaluate_loop", "predict_loop")


# ----------------------------------------------------------------------------- the TF side

def read_idx(path):
    """An IDX file (gzip-compressed) as a NumPy array of its dimensions."""
    import numpy as np

    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def fashion_mnist(data_dir, split):
    """Standardized NHWC images and int32 labels, as fashion_mnist::slices_of makes them."""
    import numpy as np

    images = read_idx(os.path.join(data_dir, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{split}-labels-idx1-ubyte.gz"))
    images = ((images.astype(np.float32) / np.float32(255) - np.float32(MEAN)) / np.float32(DEVIATION))
    return images.reshape(-1, 28, 28, 1), labels.astype(np.int32)


def measure_tf(settings):
    """Trains, evaluates and predicts with tf.estimator; returns the figures as a dict."""
    import importlib.metadata

    import numpy as np
    import tensorflow as tf
    from tensorflow.python.util import _pywrap_util_port

    versions = {"python": platform.python_version(), "tensorflow": tf.__version__,
                "tensorflow_cpu": importlib.metadata.version("tensorflow-cpu"),
                "tensorflow_estimator": importlib.metadata.version("tensorflow-estimator"),
                "numpy": np.__version__}
    if versions["tensorflow"] != TF_PIN or versions["tensorflow_estimator"] != ESTIMATOR_PIN:
        sys.exit(f"tf_estimator.py: needs tensorflow-cpu {TF_PIN} and tensorflow-estimator {ESTIMATOR_PIN}, found "
                 f"{versions['tensorflow']} and {versions['tensorflow_estimator']} in {sys.prefix}")

    model, steps, warmup = settings["model"], settings["train_steps"], settings["warmup_steps"]
    layers = tf.compat.v1.layers
    train_images, train_labels = fashion_mnist(settings["data_dir"], "train")
    test_images, test_labels = fashion_mnist(settings["data_dir"], "t10k")

    def model_fn(features, labels, mode, params):
        training = mode == tf.estimator.ModeKeys.TRAIN
        x = features["image"]
        if params["model"] == "cnn":
            x = layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
            x = layers.max_pooling2d(x, 2, 2)
            x = layers.conv2d(x, 64, 5, padding="same", activation=tf.nn.relu)
            x = layers.max_pooling2d(x, 2, 2)
            x = layers.flatten(x)
            x = layers.dense(x, 1024, activation=tf.nn.relu)
            x = layers.dropout(x, rate=0.4, training=training)
        else:
            x = layers.flatten(x)
            x = layers.dense(x, 256, activation=tf.nn.relu)
            x = layers.dense(x, 128, activation=tf.nn.relu)
        logits = layers.dense(x, 10)
        classes = tf.argmax(logits, axis=1)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={"classes": classes,
                                                                 "probabilities": tf.nn.softmax(logits)})
        loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        if training:
            global_step = tf.compat.v1.train.get_global_step()
            # est's example schedule (fashion_mnist::params): linear from 0.001 to 5% of it.
            rate = tf.compat.v1.train.polynomial_decay(params["learning_rate"], global_step, params["decay_steps"],
                                                       end_learning_rate=params["learning_rate"] / 20)
            train_op = tf.compat.v1.train.AdamOptimizer(rate).minimize(loss, global_step=global_step)
            return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
        top_2 = tf.cast(tf.math.in_top_k(targets=labels, predictions=logits, k=2), tf.float32)
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
            "accuracy": tf.compat.v1.metrics.accuracy(labels=labels, predictions=classes),
            "top_2_accuracy": tf.compat.v1.metrics.mean(top_2)})

    class FeedIterator(tf.estimator.SessionRunHook):
        """Initializes the input_fn's iterator with the arrays once the session exists."""

        def __init__(self):
            self.initialize = None

        def after_create_session(self, session, coord):
            self.initialize(session)

    def input_fn_of(images, labels, batch, feed, train=False):
        def input_fn():
            image_holder = tf.compat.v1.placeholder(tf.float32, images.shape)
            values = {image_holder: images}
            if labels is None:
                dataset = tf.data.Dataset.from_tensor_slices({"image": image_holder})
            else:
                label_holder = tf.compat.v1.placeholder(tf.int32, labels.shape)
                values[label_holder] = labels
                dataset = tf.data.Dataset.from_tensor_slices(({"image": image_holder}, label_holder))
            if train:
                dataset = dataset.shuffle(len(images), seed=SEED).repeat()
            dataset = dataset.batch(batch).prefetch(tf.data.AUTOTUNE)
            iterator = tf.compat.v1.data.make_initializable_iterator(dataset)
            feed.initialize = lambda session: session.run(iterator.initializer, values)
            return iterator.get_next()
        return input_fn

    class StepTimer(tf.estimator.SessionRunHook):
        """The counterpart of estimator_throughput's step_timer: the same points, the same clock."""

        def __init__(self, warmup_steps=0):
            self.warmup_steps = warmup_steps

        def begin(self):
            self.steps, self.first_before_run, self.warm = 0, None, None

        def before_run(self, run_context):
            if self.first_before_run is None:
                self.first_before_run = time.perf_counter()

        def after_run(self, run_context, run_values):
            self.last_after_run = time.perf_counter()
            self.steps += 1
            if self.steps == self.warmup_steps:
                self.warm = self.last_after_run

    model_dir = tempfile.mkdtemp(prefix="tf-estimator-")
    session_config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=THREADS,
                                              inter_op_parallelism_threads=settings["inter_op_threads"])
    # TensorFlow's defaults, spelled out: they are est's too.
    config = tf.estimator.RunConfig(model_dir=model_dir, tf_random_seed=SEED, save_summary_steps=100,
                                    save_checkpoints_secs=600, keep_checkpoint_max=5, log_step_count_steps=100,
                                    session_config=session_config)
    estimator = tf.estimator.Estimator(model_fn, config=config, params={
        "model": model, "learning_rate": 0.001, "decay_steps": warmup + steps})
    result = {"model": model, "batch_size": BATCH, "eval_batch_size": EVAL_BATCH, "warmup_steps": warmup,
              "train_steps": steps, "intra_op_threads": THREADS, "inter_op_threads": settings["inter_op_threads"],
              "onednn": bool(_pywrap_util_port.IsMklEnabled()), "versions": versions}
    try:
        feed, timer = FeedIterator(), StepTimer(warmup)
        start = time.perf_counter()
        estimator.train(input_fn_of(train_images, train_labels, BATCH, feed, train=True), steps=warmup + steps,
                        hooks=[feed, timer])
        end = time.perf_counter()
        result["train_images_per_sec"] = steps * BATCH / (timer.last_after_run - timer.warm)
        result["train_call_seconds"] = end - start
        result["train_setup_seconds"] = timer.first_before_run - start
        result["train_final_checkpoint_seconds"] = end - timer.last_after_run

        test_count = len(test_labels)
        feed, timer = FeedIterator(), StepTimer()
        start = time.perf_counter()
        evaluation = estimator.evaluate(input_fn_of(test_images, test_labels, EVAL_BATCH, feed), hooks=[feed, timer])
        result["evaluate_images_per_sec"] = test_count / (time.perf_counter() - start)
        result["evaluate_loop_images_per_sec"] = test_count / (timer.last_after_run - timer.first_before_run)

        feed, timer = FeedIterator(), StepTimer()
        start = time.perf_counter()
        predicted = correct = 0
        for p in estimator.predict(input_fn_of(test_images, None, EVAL_BATCH, feed), hooks=[feed, timer]):
            correct += int(p["classes"]) == test_labels[predicted]
            predicted += 1
        result["predict_images_per_sec"] = predicted / (time.perf_counter() - start)
        result["predict_loop_images_per_sec"] = predicted / (timer.last_after_run - timer.first_before_run)
        if predicted != test_count or correct != round(evaluation["accuracy"] * test_count):
            sys.exit(f"tf_estimator.py: predict gave {predicted} predictions, {correct} correct; evaluate said "
                     f"accuracy {evaluation['accuracy']}")
        result.update(accuracy=float(evaluation["accuracy"]), loss=float(evaluation["loss"]),
                      global_step=int(evaluation["global_step"]))
    finally:
        shutil.rmtree(model_dir, ignore_errors=True)
    return result


# ----------------------------------------------------------------------------- the driver

def venv_python(venv):
    return os.path.join(venv, "bin", "python")


def pinned_versions_present(python):
    check = ("import importlib.metadata as m; v = m.version('tensorflow-cpu'), m.version('tensorflow-estimator'); "
             f"raise SystemExit(v != ('{TF_PIN}', '{ESTIMATOR_PIN}'))")
    return os.path.exists(python) and subprocess.run([python, "-c", check], capture_output=True).returncode == 0


def base_python():
    """A Python that tensorflow-cpu 2.15 has wheels for (3.9 to 3.11)."""
    if (3, 9) <= sys.version_info[:2] <= (3, 11):
        return sys.executable
    for name in ("python3.11", "python3.10", "python3.9"):
        if shutil.which(name):
            return shutil.which(name)
    sys.exit(f"tf_estimator.py: tensorflow-cpu {TF_PIN} needs Python 3.9-3.11 to install; this is "
             f"{platform.python_version()} and none of python3.11, python3.10, python3.9 is on PATH")


def ensure_tf_venv(venv, own):
    """The Python of `venv`, with the pinned TensorFlow installed into it when `own` (the scripts'
    default environment) or when it does not exist; another environment must already have them."""
    python = venv_python(venv)
    if pinned_versions_present(python):
        return python
    if os.path.exists(python) and not own:
        sys.exit(f"tf_estimator.py: {venv} does not have {' and '.join(PINS)}; install them there or leave out "
                 "--venv to use build/tf-estimator-venv")
    if not os.path.exists(python):
        subprocess.run([base_python(), "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", *PINS], check=True)
    if not pinned_versions_present(python):
        sys.exit(f"tf_estimator.py: installing {' '.join(PINS)} into {venv} did not give those versions")
    return python


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def est_revision():
    try:
        run = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True, check=True).stdout.strip()
        return run("rev-parse", "--short", "HEAD") + ("-dirty" if run("status", "--porcelain", "--untracked-files=no")
                                                     else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def last_json(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


def run_est(binary, model, steps, warmup, data_dir):
    run = subprocess.run([binary, "--model", model, "--train-steps", str(steps), "--warmup-steps", str(warmup),
                          "--batch-size", str(BATCH), "--eval-batch-size", str(EVAL_BATCH), "--data-dir", data_dir],
                         capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS=str(THREADS)))
    if run.returncode != 0:
        sys.exit(f"tf_estimator.py: {binary} failed:\n{run.stderr}")
    return last_json(run.stdout)


def run_tf(python, settings, onednn):
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=str(onednn), OMP_NUM_THREADS=str(THREADS),
               TF_CPP_MIN_LOG_LEVEL="1")
    run = subprocess.run([python, os.path.abspath(__file__), "--tf-only", json.dumps(settings)], capture_output=True,
                         text=True, env=env)
    if run.returncode != 0:
        sys.exit(f"tf_estimator.py: the TensorFlow side failed:\n{run.stderr[-6000:]}")
    return last_json(run.stdout)


def rounded(value):
    """Figures as JSON shows them: rates to 0.1, ratios, accuracies and seconds to 4 decimals."""
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 1 if abs(value) >= 100 else 4)
    return value


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("Usage (")[0].strip(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="est's build directory (default: build)")
    parser.add_argument("--venv", default=None, help="TensorFlow's environment (default: BUILD/tf-estimator-venv)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each side per model (default: 5)")
    parser.add_argument("--models", default="cnn,mlp", help="comma-separated, of cnn and mlp (default: cnn,mlp)")
    parser.add_argument("--train-steps", type=int, default=None, help="timed steps for every model "
                        "(default: est's, 300 CNN and 3,000 MLP)")
    parser.add_argument("--warmup-steps", type=int, default=WARMUP_STEPS, help="untimed steps first (default: 20)")
    parser.add_argument("--inter-op-threads", type=int, default=2,
                        help="TF's inter_op_parallelism_threads (default: 2)")
    parser.add_argument("--onednn", type=int, choices=(0, 1), default=1, help="TF_ENABLE_ONEDNN_OPTS (default: 1)")
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--quick", action="store_true", help="1 repeat, 30 CNN and 300 MLP steps: a check that it runs")
    parser.add_argument("--tf-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tf_only:
        print(json.dumps(measure_tf(json.loads(args.tf_only))))
        return

    models = [m for m in args.models.split(",") if m]
    if not models or any(m not in STEPS for m in models):
        parser.error("--models takes cnn, mlp or both")
    repeats = 1 if args.quick else args.repeats
    if repeats < 1 or args.warmup_steps < 1:
        parser.error("--repeats and --warmup-steps must be positive")
    steps = {m: args.train_steps or (QUICK_STEPS if args.quick else STEPS)[m] for m in models}
    binary = os.path.join(args.build, "benchmarks", "estimator_throughput")
    if not os.path.exists(binary):
        sys.exit(f"tf_estimator.py: {binary} is missing; build it with "
                 f"`cmake --build {args.build} --target estimator_throughput`")
    python = ensure_tf_venv(args.venv or os.path.join(args.build, "tf-estimator-venv"), own=args.venv is None)

    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"warning: load average {load_before:.2f} before the runs; est's OpenMP threads spin while they wait, "
              "so other processes on these cores slow it far more than TensorFlow", flush=True)
    runs = {m: {"est": [], "tf": []} for m in models}
    for repeat in range(repeats):
        for model in models:
            est = run_est(binary, model, steps[model], args.warmup_steps, args.data_dir)
            print(f"[{repeat + 1}/{repeats}] est {model}: " + json.dumps(
                {k: v for k, v in est.items() if k.endswith("_per_sec") or k == "accuracy"}), flush=True)
            tf = run_tf(python, {"model": model, "train_steps": steps[model], "warmup_steps": args.warmup_steps,
                                 "inter_op_threads": args.inter_op_threads, "data_dir": args.data_dir}, args.onednn)
            print(f"[{repeat + 1}/{repeats}] tf  {model}: " + json.dumps(
                {k: v for k, v in tf.items() if k.endswith("_per_sec") or k == "accuracy"}), flush=True)
            runs[model]["est"].append(est)
            runs[model]["tf"].append(tf)

    figures, others = {}, {}
    for model in models:
        est_runs, tf_runs = runs[model]["est"], runs[model]["tf"]
        for figure in FIGURES:
            key = figure + "_images_per_sec"
            est_values, tf_values = [r[key] for r in est_runs], [r[key] for r in tf_runs]
            paired = [e / t for e, t in zip(est_values, tf_values)]
            figures[f"{model}_{figure}"] = {"est": spread(est_values), "tf": spread(tf_values),
                                            "est_over_tf": statistics.median(est_values) / statistics.median(tf_values),
                                            "est_over_tf_runs": {"min": min(paired), "max": max(paired)}}
        for key in ("accuracy", "train_setup_seconds", "train_final_checkpoint_seconds", "train_call_seconds"):
            others[f"{model}_{key}"] = {"est": statistics.median(r[key] for r in est_runs),
                                        "tf": statistics.median(r[key] for r in tf_runs)}

    tf_first = runs[models[0]]["tf"][0]
    print(f"\nimages/s, median (min-max) of {repeats} run(s); est / TF: ratio of the medians (range of the "
          "runs' ratios)")
    print(f"{'figure':22s} {'est':>26s} {'tf.estimator ' + TF_PIN:>26s} {'est / TF':>20s}")
    fmt = lambda s: f"{s['median']:,.0f} ({s['min']:,.0f}-{s['max']:,.0f})"
    for name, f in figures.items():
        ratio = f"{f['est_over_tf']:.2f} ({f['est_over_tf_runs']['min']:.2f}-{f['est_over_tf_runs']['max']:.2f})"
        print(f"{name:22s} {fmt(f['est']):>26s} {fmt(f['tf']):>26s} {ratio:>20s}")
    for name, o in others.items():
        print(f"{name:34s} est {o['est']:8.4f}   tf {o['tf']:8.4f}")
    print(f"train: steps {args.warmup_steps}+1 .. {args.warmup_steps}+N of one train() call, timed by a hook "
          "(final checkpoint outside); evaluate/predict: the whole call over 10,000 test images ('_loop': first "
          "batch to last)")

    report = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_model(), "logical_cpus": os.cpu_count(),
        "threads": {"est_omp": THREADS, "tf_intra_op": THREADS, "tf_inter_op": args.inter_op_threads},
        "tf_onednn": tf_first["onednn"], "versions": dict(tf_first["versions"], est=est_revision()),
        "batch_size": BATCH, "eval_batch_size": EVAL_BATCH, "warmup_steps": args.warmup_steps, "train_steps": steps,
        "repeats": repeats, "load_average": {"before": load_before, "after": os.getloadavg()[0]},
        "figures": figures, "other": others,
    }
    print(json.dumps(rounded(report)))


if __name__ == "__main__":
    main()
