"""PyTorch (CPU, from PyPI) and, where Debian's libtorch-dev is installed, LibTorch on the same
models, batch sizes, thread count and step counts as benchmarks/training_throughput; prints the
ratios est / peer for training and inference of the MLP and the CNN. Not run by CI.
Usage (from the repository root, after `make bench` built the benchmarks):

    python3 benchmarks/peers/pytorch.py [--build build] [--venv build/torch-venv]

It installs torch from PyPI into a virtual environment if needed (with the CUDA packages that its
wheel loads at import, about 5 GB). Then, --repeats times (default 3), it runs build/benchmarks/
training_throughput, itself inside the environment for the PyTorch side, and LibTorch
(benchmarks/peers/libtorch.cpp, compiled here) in turn, so that every peer sees the machine in the
same states; each figure is the median of its runs."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

THREADS = 2
TRAIN_BATCH = 64
INFERENCE_BATCH = 256
FIGURES = ("mlp_train", "mlp_inference", "cnn_train", "cnn_inference")


def measure_pytorch(steps):
    import torch
    from torch import nn

    torch.set_num_threads(THREADS)
    torch.manual_seed(1)
    models = {
        "mlp": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                     nn.Linear(128, 10)),
        "cnn": lambda: nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                     nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                     nn.Linear(7 * 7 * 64, 1024), nn.ReLU(), nn.Dropout(0.4), nn.Linear(1024, 10)),
    }
    result = {}
    for name, make in models.items():
        model = make()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
        loss_fn = nn.CrossEntropyLoss()
        images = torch.randn(TRAIN_BATCH, 1, 28, 28)
        labels = torch.randint(0, 10, (TRAIN_BATCH,))

        def train_step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(images), labels).backward()
            optimizer.step()

        model.train()
        result[name + "_train"] = rate(train_step, steps[name + "_train"], TRAIN_BATCH)
        model.eval()
        batch = torch.randn(INFERENCE_BATCH, 1, 28, 28)
        with torch.inference_mode():
            result[name + "_inference"] = rate(lambda: model(batch), steps[name + "_inference"], INFERENCE_BATCH)
    return result


def rate(step, steps, batch):
    """Images per second over `steps` calls, after two warm-up calls."""
    step()
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


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


def median_figures(runs):
    return {f: statistics.median(run[f] for run in runs) for f in runs[0]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--venv", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--torch-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_only:
        print(json.dumps(measure_pytorch(json.loads(args.torch_only))))
        return

    venv = args.venv or os.path.join(args.build, "torch-venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python) or subprocess.run([python, "-c", "import torch"],
                                                    capture_output=True).returncode != 0:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        # PyPI's torch wheel carries CUDA libraries that it loads at import even on the CPU.
        subprocess.run([python, "-m", "pip", "install", "--quiet", "torch", "numpy"], check=True)

    est_runs, torch_runs, libtorch_runs = [], [], []
    for _ in range(args.repeats):
        est_run = subprocess.run([os.path.join(args.build, "benchmarks", "training_throughput")], check=True,
                                 capture_output=True, text=True)
        print(est_run.stdout, end="", flush=True)
        est_runs.append(json.loads(est_run.stdout.strip().splitlines()[-1]))
        steps = {f: est_runs[-1][f + "_steps"] for f in FIGURES}
        torch_run = subprocess.run([python, os.path.abspath(__file__), "--torch-only", json.dumps(steps)],
                                   check=True, capture_output=True, text=True,
                                   env=dict(os.environ, OMP_NUM_THREADS=str(THREADS)))
        torch_runs.append(json.loads(torch_run.stdout.strip().splitlines()[-1]))
        print("pytorch:", json.dumps(torch_runs[-1]), flush=True)
        libtorch = libtorch_peer(args.build, steps)
        if libtorch is not None:
            libtorch_runs.append(libtorch)
            print("libtorch:", json.dumps(libtorch), flush=True)

    est = median_figures([{f: run[f + "_images_per_sec"] for f in FIGURES} for run in est_runs])
    fractions = median_figures([{f: run[f + "_fraction_of_gemm_limit"] for f in FIGURES} for run in est_runs])
    report = {"est": est, "est_fraction_of_gemm_limit": fractions, "gemm": est_runs[0]["gemm"],
              "steps": steps, "repeats": args.repeats}
    peers = {"pytorch": median_figures(torch_runs)}
    if libtorch_runs:
        peers["libtorch"] = median_figures(libtorch_runs)
    print(f"medians of {args.repeats} runs")
    for peer, figures in peers.items():
        report[peer] = figures
        report["est_over_" + peer] = {f: est[f] / figures[f] for f in FIGURES}
        for f in FIGURES:
            print(f"{f:16s} est {est[f]:10.0f}  {peer} {figures[f]:10.0f}  est/{peer} "
                  f"{report['est_over_' + peer][f]:.2f}")
    for f in FIGURES:
        print(f"{f:16s} est reaches {100 * fractions[f]:.0f}% of its GEMM limit")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
