"""est against PyTorch 2.15 (pinned, CPU) in its strongest configuration for each figure, and,
where Debian's libtorch-dev is installed, against LibTorch, on the models, batch sizes, thread
count and step counts of benchmarks/training_throughput. Not run by CI.

Usage (from the repository root, after `make bench` built the benchmarks):

    python3 benchmarks/peers/pytorch.py [--build build] [--venv build/torch-venv] [--repeats 5]
                                        [--scale X | --quick] [--variants a,b,...]
                                        [--figures mlp_train,...] [--compile-timeout 900]
                                        [--est-json FILE]

Environment: unless --venv names another, it creates build/torch-venv and installs the pinned
torch==2.15.0 and numpy from PyPI into it (with the CUDA packages that the wheel loads at import,
about 5 GB); it stops if the environment's torch.__version__ does not start with 2.15.0.

What is compared, for each of the four figures (images/s; MLP and CNN, training at batch 64 and
inference at batch 256, 2 threads: torch.set_num_threads and OMP_NUM_THREADS):
  training variants   eager                      NCHW, Adam's default (foreach) implementation
                      fused_adam                 Adam(fused=True)
                      channels_last              model and input in torch.channels_last (CNN only:
                                                 the MLP flattens its input, so layout is moot)
                      channels_last_fused_adam   both (CNN only)
                      compile                    torch.compile(model), default inductor backend
                      compile_fused_adam         torch.compile(model) and Adam(fused=True)
  inference variants  eager                      model.eval(), torch.inference_mode()
                      channels_last              as eager, model and input channels_last (CNN only)
                      jit_freeze                 torch.jit.freeze(torch.jit.trace(model, x)), then
                                                 torch.jit.optimize_for_inference, under no_grad
                      jit_freeze_channels_last   as jit_freeze, channels_last (CNN only)
                      compile                    torch.compile(model), inference_mode
                      compile_freezing           as compile with torch._inductor.config.freezing
                                                 (inductor's CPU inference path: weights folded
                                                 and prepacked)
est's inference figures come twice: the trained model (est::sequential, as est::predict runs it) and
the model frozen for inference (est::frozen: a copy of its weights, which its dense layers' matmuls
read in the blocked layout they pick), the counterpart of PyTorch's frozen variants; est / best is
reported for each.
All use Adam (lr 0.001), CrossEntropyLoss, zero_grad(set_to_none=True), synthetic randn inputs
(N,1,28,28) and randint labels. Compilation, tracing and freezing happen before timing, followed
by warm-up calls (2 for eager, 5 for jit and compile); then the same number of timed steps as est
ran in that round (read from est's JSON line). A variant that raises (torch.compile where inductor
cannot build) or exceeds --compile-timeout is recorded as failed with its error's first line;
the run goes on.

How: each round runs build/benchmarks/training_throughput [scale] once, then every PyTorch
(model, mode, variant) measurement in a fresh subprocess of the venv's Python (this script with
--torch-only; the order rotates by one each round), then LibTorch (benchmarks/peers/libtorch.cpp,
compiled here) if present, so that all contenders see the machine in the same states. Per figure
and contender the report gives the median over rounds with min-max, the best PyTorch variant by
median, and est / best: the ratio of the medians and the range of the per-round ratios. A table,
then one JSON line with everything (runs, medians, ratios, torch version, threads, steps,
repeats, date, CPU model).

--quick is --scale 0.1 --repeats 2 --variants eager,fused_adam,channels_last,jit_freeze: a check
of the whole path (a few minutes on 2 idle cores, each process spends seconds importing torch),
not a result. A full run (scale 1, 5 rounds, each of est and 20 PyTorch processes) takes about 30-40
minutes on 2 idle cores: the CNN's training in 6 variants, torch.compile's compilations (the
first round's are the slowest, about a minute each; inductor caches its code under
/tmp/torchinductor_$USER) and each process's start. --figures and --variants narrow a run;
--est-json FILE tests the PyTorch side without est's binary.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

TORCH_PIN = "2.15.0"
THREADS = 2
TRAIN_BATCH = 64
INFERENCE_BATCH = 256
FIGURES = ("mlp_train", "mlp_inference", "cnn_train", "cnn_inference")
VARIANTS = {
    "train": ("eager", "fused_adam", "channels_last", "channels_last_fused_adam", "compile", "compile_fused_adam"),
    "inference": ("eager", "channels_last", "jit_freeze", "jit_freeze_channels_last", "compile", "compile_freezing"),
}
QUICK_VARIANTS = ("eager", "fused_adam", "channels_last", "jit_freeze")


def applies(model, variant):
    """channels_last means nothing for the MLP, whose first layer flattens its input."""
    return not (model == "mlp" and "channels_last" in variant)


# ---------------------------------------------------------------------------------------------
# PyTorch side: runs inside the venv, one (model, mode, variant) per process.

def make_model(nn, name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Dropout(0.4), nn.Linear(1024, 10))


def measure_job(job):
    """images/s of one (model, mode, variant) over job["steps"] timed calls, after set-up and warm-up."""
    import torch
    from torch import nn

    threads = job.get("threads", THREADS)
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model_name, mode, variant = job["model"], job["mode"], job["variant"]
    result = {"torch_version": torch.__version__, "threads": torch.get_num_threads()}
    setup_start = time.perf_counter()
    model = make_model(nn, model_name)
    channels_last = "channels_last" in variant
    layout = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    warmup = 5 if ("compile" in variant or "jit" in variant) else 2

    if mode == "train":
        batch = TRAIN_BATCH
        model.train()
        images = torch.randn(batch, 1, 28, 28).contiguous(memory_format=layout)
        labels = torch.randint(0, 10, (batch,))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.001, fused=True if "fused_adam" in variant else None)
        loss_fn = nn.CrossEntropyLoss()
        forward = torch.compile(model) if variant.startswith("compile") else model

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(forward(images), labels).backward()
            optimizer.step()

        for _ in range(warmup):
            step()
        result["setup_s"] = time.perf_counter() - setup_start
        result["images_per_sec"] = timed(step, job["steps"], batch)
    else:
        batch = INFERENCE_BATCH
        model.eval()
        images = torch.randn(batch, 1, 28, 28).contiguous(memory_format=layout)
        if variant.startswith("jit_freeze"):
            with torch.no_grad():
                frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, images)))
                for _ in range(warmup):
                    frozen(images)
                result["setup_s"] = time.perf_counter() - setup_start
                result["images_per_sec"] = timed(lambda: frozen(images), job["steps"], batch)
        else:
            if variant == "compile_freezing":
                import torch._inductor.config
                torch._inductor.config.freezing = True
            forward = torch.compile(model) if variant.startswith("compile") else model
            with torch.inference_mode():
                for _ in range(warmup):
                    forward(images)
                result["setup_s"] = time.perf_counter() - setup_start
                result["images_per_sec"] = timed(lambda: forward(images), job["steps"], batch)
    return result


def timed(step, steps, batch):
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


def first_line(text):
    """An error's first line, with the next one where the first only introduces it ("...raised:")."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[0]
    if line.endswith(":") and len(lines) > 1:
        line += " " + lines[1]
    return line[:400]


def torch_only(job):
    try:
        result = measure_job(job)
    except Exception as error:  # torch.compile and friends: report, never crash the whole run
        result = {"error": type(error).__name__ + ": " + first_line(error)}
    print(json.dumps(result), flush=True)
    sys.stderr.flush()
    os._exit(0)  # skips torch's teardown at exit, several seconds a process on a busy machine


# ---------------------------------------------------------------------------------------------
# Driver: runs under the system Python, standard library only.

def ensure_venv(venv, default):
    python = os.path.join(venv, "bin", "python")
    importable = os.path.exists(python) and subprocess.run([python, "-c", "import torch"],
                                                           capture_output=True).returncode == 0
    if not importable:
        if not default and os.path.exists(python):
            sys.exit(f"error: {venv} has no importable torch; install torch=={TORCH_PIN} there or omit --venv")
        print(f"installing torch=={TORCH_PIN} and numpy into {venv} (about 5 GB)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        # PyPI's torch wheel carries CUDA libraries that it loads at import even on the CPU.
        subprocess.run([python, "-m", "pip", "install", "--quiet", f"torch=={TORCH_PIN}", "numpy"], check=True)
    version = subprocess.run([python, "-c", "import torch; print(torch.__version__)"], check=True,
                             capture_output=True, text=True).stdout.strip()
    if not version.startswith(TORCH_PIN):
        sys.exit(f"error: {venv} has torch {version}, this comparison is pinned to torch {TORCH_PIN}; "
                 f"remove {venv} to let this script install it, or pass --venv with torch=={TORCH_PIN}")
    return python, version


def run_est(build, scale, est_json):
    if est_json:
        with open(est_json) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    command = [os.path.join(build, "benchmarks", "training_throughput")]
    if scale != 1.0:
        command.append(repr(scale))
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"error: {' '.join(command)} exited with {run.returncode}:\n{run.stdout}{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def run_torch_job(python, job, timeout):
    """One measurement in a fresh process; {"images_per_sec": ...} or {"error": ...}."""
    env = dict(os.environ, OMP_NUM_THREADS=str(job["threads"]))
    command = [python, os.path.abspath(__file__), "--torch-only", json.dumps(job)]
    # A session of its own, so that a timeout also ends inductor's compile workers.
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return {"error": f"timed out after {timeout:.0f} s (compilation and timed steps)"}
    run = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    lines = run.stdout.strip().splitlines()
    if lines:
        try:
            return json.loads(lines[-1])
        except json.JSONDecodeError:
            pass
    tail = [line for line in run.stderr.strip().splitlines() if line.strip()]
    return {"error": f"exit {run.returncode}: " + (tail[-1][:400] if tail else "no output")}


def libtorch_peer(build, steps):
    """LibTorch's figures, or None where Debian's libtorch-dev is not installed."""
    if not os.path.exists("/usr/include/torch/csrc/api/include/torch/torch.h"):
        return None
    binary = os.path.join(build, "benchmarks", "libtorch_peer")
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libtorch.cpp")
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        subprocess.run([shutil.which("g++") or "g++", "-O2", "-std=c++17", source, "-o", binary,
                        "-I/usr/include/torch/csrc/api/include", "-ltorch", "-ltorch_cpu", "-lc10"], check=True)
    # Debian's LibTorch calls OpenBLAS through libblas.so.3, by default the pthread build, whose
    # threads spin against LibTorch's OpenMP threads (MLP training at a quarter of the speed): give
    # it the OpenMP build, as est has.
    env = dict(os.environ)
    openmp_openblas = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
    if os.path.isdir(openmp_openblas):
        env["LD_LIBRARY_PATH"] = openmp_openblas + os.pathsep + env.get("LD_LIBRARY_PATH", "")
    run = subprocess.run([binary] + [str(steps[f]) for f in FIGURES], check=True, capture_output=True, text=True,
                         env=env)
    return json.loads(run.stdout.strip().splitlines()[-1])


def summary(values):
    """median, min, max and the runs of a list of numbers; None where empty."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def frozen_key(figure):
    """The prefix of est's frozen-model figures for an inference figure ("mlp_frozen_inference"); None
    for training."""
    model, mode = figure.split("_")
    return f"{model}_frozen_inference" if mode == "inference" else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def fmt(s, digits=0):
    if s is None:
        return "-"
    return f"{s['median']:,.{digits}f} [{s['min']:,.{digits}f}-{s['max']:,.{digits}f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="est's build directory (default build)")
    parser.add_argument("--venv", default=None, help="virtual environment with torch==2.15.0 "
                        "(default <build>/torch-venv, created when missing)")
    parser.add_argument("--repeats", type=int, default=None, help="alternating rounds (default 5; --quick 2)")
    parser.add_argument("--scale", type=float, default=None,
                        help="step scale passed to training_throughput; PyTorch runs est's step counts "
                             "(default 1; --quick 0.1)")
    parser.add_argument("--quick", action="store_true",
                        help="check run: --scale 0.1 --repeats 2, no compile variants")
    parser.add_argument("--variants", default=None,
                        help="comma-separated PyTorch variants to run (default all; names in the docstring)")
    parser.add_argument("--figures", default=None,
                        help=f"comma-separated figures to compare (default all: {','.join(FIGURES)})")
    parser.add_argument("--compile-timeout", type=float, default=900.0,
                        help="seconds a compile variant's process may take, compilation included (default 900)")
    parser.add_argument("--est-json", default=None,
                        help="read est's figures from this file's last line instead of running the binary "
                             "(to test the PyTorch side)")
    parser.add_argument("--torch-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_only:
        torch_only(json.loads(args.torch_only))
        return

    repeats = args.repeats if args.repeats is not None else (2 if args.quick else 5)
    scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    if repeats < 1 or not scale > 0:
        sys.exit("error: --repeats must be at least 1 and --scale positive")
    known = set(VARIANTS["train"]) | set(VARIANTS["inference"])
    if args.variants:
        wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
    else:
        wanted = list(QUICK_VARIANTS) if args.quick else sorted(known)
    unknown = [v for v in wanted if v not in known]
    if unknown:
        sys.exit(f"error: unknown variants {unknown}; known: {sorted(known)}")
    figures = [f.strip() for f in args.figures.split(",") if f.strip()] if args.figures else list(FIGURES)
    if not figures or any(f not in FIGURES for f in figures):
        sys.exit(f"error: --figures takes some of {','.join(FIGURES)}")
    jobs = [(figure, variant) for figure in figures for variant in VARIANTS[figure.split("_")[1]]
            if variant in wanted and applies(figure.split("_")[0], variant)]

    venv = args.venv or os.path.join(args.build, "torch-venv")
    python, torch_version = ensure_venv(venv, default=args.venv is None)
    print(f"est against torch {torch_version}: {repeats} rounds, step scale {scale}, "
          f"{len(jobs)} PyTorch measurements a round", flush=True)

    est_runs, steps_runs = [], []
    torch_runs = {job: [] for job in jobs}  # (figure, variant) -> [result per round]
    libtorch_runs = []
    started = time.perf_counter()
    for round_index in range(repeats):
        est = run_est(args.build, scale, args.est_json)
        missing = [f + suffix for f in FIGURES for suffix in ("_images_per_sec", "_steps") if f + suffix not in est]
        if missing:
            sys.exit(f"error: est's JSON line lacks {missing}; rebuild build/benchmarks/training_throughput")
        est_runs.append(est)
        steps = {f: int(est[f + "_steps"]) for f in FIGURES}
        steps_runs.append(steps)
        threads = int(est.get("threads", THREADS))
        print(f"round {round_index + 1}/{repeats}  est: " +
              "  ".join(f"{f} {est[f + '_images_per_sec']:,.0f}" for f in FIGURES), flush=True)
        shift = round_index % len(jobs) if jobs else 0
        for figure, variant in jobs[shift:] + jobs[:shift]:
            model, mode = figure.split("_")
            job = {"model": model, "mode": mode, "variant": variant, "steps": steps[figure], "threads": threads}
            timeout = args.compile_timeout if variant.startswith("compile") else None
            result = run_torch_job(python, job, timeout)
            torch_runs[(figure, variant)].append(result)
            if "error" in result:
                print(f"  pytorch {figure:14s} {variant:25s} failed: {result['error']}", flush=True)
            else:
                print(f"  pytorch {figure:14s} {variant:25s} {result['images_per_sec']:12,.0f}"
                      f"  (set-up and warm-up {result['setup_s']:.1f} s)", flush=True)
        libtorch = libtorch_peer(args.build, steps)
        if libtorch is not None:
            libtorch_runs.append(libtorch)
            print("  libtorch: " + "  ".join(f"{f} {libtorch[f]:,.0f}" for f in FIGURES), flush=True)
    elapsed = time.perf_counter() - started

    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": {"processor": platform.processor(), "model_name": cpu_model()},
        "torch_version": torch_version, "threads": int(est_runs[0].get("threads", THREADS)),
        "train_batch": est_runs[0].get("train_batch", TRAIN_BATCH),
        "inference_batch": est_runs[0].get("inference_batch", INFERENCE_BATCH),
        "repeats": repeats, "scale": scale,
        "steps": steps_runs[0] if all(s == steps_runs[0] for s in steps_runs) else steps_runs,
        "gemm": est_runs[0].get("gemm"), "elapsed_s": round(elapsed, 1), "figures": {},
    }
    if any("fp32_peak_gflops" in run for run in est_runs):
        report["fp32_peak_gflops"] = summary([run["fp32_peak_gflops"] for run in est_runs if "fp32_peak_gflops" in run])

    print(f"\nimages/s, median [min-max] of {repeats} alternating rounds; est/x = median of est over median of x")
    for figure in figures:
        est_values = [run[figure + "_images_per_sec"] for run in est_runs]
        entry = {"est": summary(est_values), "pytorch": {}}
        for key in ("fraction_of_peak", "fraction_of_gemm_limit"):
            values = [run[f"{figure}_{key}"] for run in est_runs if f"{figure}_{key}" in run]
            if values:
                entry["est_" + key] = summary(values)
        frozen = frozen_key(figure)
        frozen_values = []  # every round's, or none (est's JSON from before est::frozen)
        if frozen and all(frozen + "_images_per_sec" in run for run in est_runs):
            frozen_values = [run[frozen + "_images_per_sec"] for run in est_runs]
            entry["est_frozen"] = summary(frozen_values)
            entry["est_frozen_fraction_of_peak"] = summary([run[frozen + "_fraction_of_peak"] for run in est_runs])
        for variant in VARIANTS[figure.split("_")[1]]:
            if (figure, variant) not in torch_runs:
                if variant in wanted and not applies(figure.split("_")[0], variant):
                    entry["pytorch"][variant] = {"skipped": "the MLP flattens its input: channels_last is moot"}
                continue
            results = torch_runs[(figure, variant)]
            values = [r["images_per_sec"] for r in results if "error" not in r]
            errors = [r["error"] for r in results if "error" in r]
            stats = summary(values) or {"median": None, "runs": []}
            # Per-round values aligned with est's runs, None where that round failed.
            stats["per_round"] = [r.get("images_per_sec") for r in results]
            setups = [r["setup_s"] for r in results if "setup_s" in r]
            if setups:
                stats["setup_s_median"] = round(statistics.median(setups), 2)
            if errors:
                stats["failed_rounds"] = len(errors)
                stats["error"] = errors[0]
            if stats["median"] is not None:
                stats["est_over"] = statistics.median(est_values) / stats["median"]
            entry["pytorch"][variant] = stats
        measured = {v: s for v, s in entry["pytorch"].items() if s.get("median") is not None}
        if measured:
            best = max(measured, key=lambda v: measured[v]["median"])
            entry["best_pytorch_variant"] = best
            for name, values in (("est", est_values), ("est_frozen", frozen_values)):
                if values:
                    per_round = [e / p for e, p in zip(values, measured[best]["per_round"]) if p]
                    entry[name + "_over_best"] = {"ratio_of_medians": entry[name]["median"] / measured[best]["median"],
                                                  "per_round": summary(per_round)}
        if libtorch_runs:
            entry["libtorch"] = summary([run[figure] for run in libtorch_runs])
            entry["est_over_libtorch"] = entry["est"]["median"] / entry["libtorch"]["median"]
        report["figures"][figure] = entry

        print(f"\n{figure} (batch {report['train_batch'] if figure.endswith('train') else report['inference_batch']}, "
              f"{report['steps'][figure] if isinstance(report['steps'], dict) else 'varying'} steps)")
        extra = "".join(f"   {key.replace('_', ' ')} {fmt(entry['est_' + key], 3)}"
                        for key in ("fraction_of_peak", "fraction_of_gemm_limit") if "est_" + key in entry)
        print(f"  {'est':34s} {fmt(entry['est']):>34s}{extra}")
        if "est_frozen" in entry:
            print(f"  {'est frozen (est::frozen)':34s} {fmt(entry['est_frozen']):>34s}"
                  f"   fraction of peak {fmt(entry['est_frozen_fraction_of_peak'], 3)}")
        for variant, stats in entry["pytorch"].items():
            name = f"pytorch {variant}"
            if "skipped" in stats:
                print(f"  {name:34s} {'n/a (MLP: channels_last is moot)':>34s}")
                continue
            if stats.get("median") is None:
                print(f"  {name:34s} {'failed':>34s}   {stats.get('error', '')}")
                continue
            mark = "  <- best" if variant == entry.get("best_pytorch_variant") else ""
            note = f"   ({stats['failed_rounds']} rounds failed: {stats['error']})" if "failed_rounds" in stats else ""
            print(f"  {name:34s} {fmt(stats):>34s}   est/x {stats['est_over']:.2f}{mark}{note}")
        if libtorch_runs:
            print(f"  {'libtorch':34s} {fmt(entry['libtorch']):>34s}   est/x {entry['est_over_libtorch']:.2f}")
        if "best_pytorch_variant" in entry:
            for name, label in (("est", "est"), ("est_frozen", "est frozen")):
                if name + "_over_best" not in entry:
                    continue
                ratio = entry[name + "_over_best"]
                rounds = ratio["per_round"]
                spread = f" (per round {rounds['min']:.2f}-{rounds['max']:.2f})" if rounds else ""
                print(f"  {label} / best PyTorch ({entry['best_pytorch_variant']}): "
                      f"{ratio['ratio_of_medians']:.2f}{spread}")
        else:
            print("  est / best PyTorch: no PyTorch variant succeeded")
    if "fp32_peak_gflops" in report:
        print(f"\nfp32 peak (est's measure): {fmt(report['fp32_peak_gflops'], 1)} GFLOP/s")
    print(f"\n{elapsed / 60:.1f} minutes; torch {torch_version}, {report['threads']} threads, "
          f"{report['cpu']['model_name'] or report['cpu']['processor']}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
