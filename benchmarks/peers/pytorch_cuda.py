#!/usr/bin/env python3
"""est on the GPU against PyTorch on the same GPU: the Fashion-MNIST MLP and CNN, Adam, training and
inference at batch 64 and 256, FP32.

est's side is build/benchmarks/training_throughput_cuda (est::cuda: Thrust, cuBLAS, im2col
convolutions). PyTorch's side runs each configuration in its own process, in the order given, in
rounds that alternate with est's: eager (default), and "best": channels_last, cudnn.benchmark,
Adam(fused=True) for training, torch.compile for both (--compile-mode: max-autotune-no-cudagraphs by
default, which autotunes each product and convolution and takes minutes the first time; default for a
quick run; reduce-overhead adds CUDA graphs, which est does not use). TF32 is off
on both sides (cuBLAS's default math in est; torch.backends.*.allow_tf32 = False here), so both
compute in FP32. Each figure is the median over the rounds; the ratio est / best PyTorch is printed
per figure, then one JSON line.

Usage: python3 benchmarks/peers/pytorch_cuda.py [--build build] [--python PYTHON] [--rounds 3]
                                                 [--compile-mode MODE]
Exits 77 when PyTorch sees no CUDA device.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch import make_model  # noqa: E402  (the CPU comparison's models)

MODELS = ("mlp", "cnn")
BATCHES = (64, 256)
VARIANTS = ("eager", "best")


def measure(job):
    """Median images/s over 5 timed rounds of job['steps'] steps, after warm-up; the device is
    synchronized before each round's clock stops."""
    import torch
    from torch import nn
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    best = job["variant"] == "best"
    torch.backends.cudnn.benchmark = best
    torch.manual_seed(1)
    device = torch.device("cuda")
    layout = torch.channels_last if best and job["model"] == "cnn" else torch.contiguous_format
    model = make_model(nn, job["model"]).to(device, memory_format=layout)
    batch = job["batch"]
    images = torch.randn(batch, 1, 28, 28, device=device).contiguous(memory_format=layout)
    labels = torch.randint(0, 10, (batch,), device=device)
    forward = torch.compile(model, mode=job["compile_mode"]) if best else model
    if job["mode"] == "train":
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.001, fused=True if best else None)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(forward(images), labels).backward()
            optimizer.step()
    else:
        model.eval()

        def step():
            with torch.inference_mode():
                forward(images)
    for _ in range(10 if best else 3):
        step()
    torch.cuda.synchronize()
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(job["steps"]):
            step()
        torch.cuda.synchronize()
        rates.append(job["steps"] * batch / (time.perf_counter() - start))
    return {"images_per_sec": statistics.median(rates), "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0)}


def run_torch(python, job):
    out = subprocess.run([python, __file__, "--job", json.dumps(job)], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        sys.exit(f"error: PyTorch job {job} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_est(build, scale):
    out = subprocess.run([f"{build}/benchmarks/training_throughput_cuda", str(scale)], capture_output=True, text=True)
    if out.returncode == 77:
        sys.exit(77)
    if out.returncode != 0:
        sys.exit(f"error: training_throughput_cuda failed:\n{out.stdout}{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build", help="est's build directory (default build)")
    parser.add_argument("--python", default=sys.executable, help="a Python with torch (CUDA build) installed")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--compile-mode", default="max-autotune-no-cudagraphs",
                        choices=("default", "max-autotune-no-cudagraphs", "reduce-overhead", "max-autotune"),
                        help="torch.compile's mode in the best configuration (default max-autotune-no-cudagraphs)")
    parser.add_argument("--job", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(measure(json.loads(args.job))))
        return
    probe = subprocess.run([args.python, "-c", "import torch; print(torch.cuda.is_available())"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "True":
        print("PyTorch sees no CUDA device: skipped")
        sys.exit(77)

    est_runs, torch_runs = [], {}
    for _ in range(args.rounds):
        est_runs.append(run_est(args.build, 1.0))
        for model in MODELS:
            for mode in ("train", "inference"):
                for batch in BATCHES:
                    for variant in VARIANTS:
                        steps = 200 if model == "mlp" else 50
                        job = {"model": model, "mode": mode, "batch": batch, "variant": variant, "steps": steps,
                               "compile_mode": args.compile_mode}
                        result = run_torch(args.python, job)
                        torch_runs.setdefault((model, mode, batch, variant), []).append(result["images_per_sec"])
                        info = result

    report = {"gpu": info["gpu"], "torch": info["torch"], "rounds": args.rounds, "compile_mode": args.compile_mode,
              "figures": []}
    for model in MODELS:
        for mode in ("train", "inference"):
            for batch in BATCHES:
                est_rate = statistics.median(run[f"{model}_{mode}_{batch}"] for run in est_runs)
                eager = statistics.median(torch_runs[(model, mode, batch, "eager")])
                best = statistics.median(torch_runs[(model, mode, batch, "best")])
                strongest = max(eager, best)
                print(f"{model} {mode} batch {batch}: est {est_rate:,.0f} images/s, PyTorch eager {eager:,.0f}, "
                      f"best {best:,.0f}: est / strongest {est_rate / strongest:.2f}")
                report["figures"].append({"model": model, "mode": mode, "batch": batch, "est": est_rate,
                                          "torch_eager": eager, "torch_best": best,
                                          "est_over_strongest": est_rate / strongest})
    print(json.dumps(report))


if __name__ == "__main__":
    main()
