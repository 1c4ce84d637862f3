"""est's training_throughput against the same benchmark of an earlier commit, in turns on this
machine: whether a change moved the four host figures (MLP and CNN training at batch 64, inference
at batch 256). Prints each round's images/s, then per figure the medians [min-max] of both and the
median [min-max] of the rounds' ratios (this build / the earlier one). Not run by CI. Usage (from
the repository root, after `make bench` or a build of the training_throughput target):

    python3 benchmarks/against_commit.py COMMIT [--build build] [--rounds 7] [--scale 0.5]
        [--keep DIR]

COMMIT is built in a git worktree (DIR, by default a temporary folder removed afterwards), with its
own CMakeLists.txt, examples and tests off; its dependencies must be installed (est before 63f0065,
such as d9ffbd9, finds xtensor-blas and a BLAS through CMake: Debian's libxtensor-blas-dev and
libopenblas-dev). Both binaries print their figures as the last line of JSON, under the same names
since est's first version."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

FIGURES = ("mlp_train", "mlp_inference", "cnn_train", "cnn_inference")


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, **kwargs)


def figures_of(binary, scale):
    """The four images/s figures of one run of a training_throughput binary."""
    out = run([binary, str(scale)], capture_output=True, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return {f: data[f + "_images_per_sec"] for f in FIGURES}


def build_commit(commit, tree):
    """COMMIT's training_throughput, built in a worktree at TREE."""
    run(["git", "worktree", "add", "--force", "--detach", tree, commit], stdout=subprocess.DEVNULL)
    build = os.path.join(tree, "build")
    run(["cmake", "-S", tree, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DEST_BUILD_TESTS=OFF",
         "-DEST_BUILD_EXAMPLES=OFF", "-DEST_ENABLE_CUDA=OFF"], stdout=subprocess.DEVNULL)
    run(["cmake", "--build", build, "--target", "training_throughput", "-j", str(os.cpu_count() or 2)],
        stdout=subprocess.DEVNULL)
    return os.path.join(build, "benchmarks", "training_throughput")


def spread(values, digits=0):
    fmt = "{:,.%df}" % digits
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("commit")
    parser.add_argument("--build", default="build", help="this checkout's build folder")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scale", type=float, default=0.5, help="training_throughput's step scale")
    parser.add_argument("--keep", help="build the commit here and keep it (default: a temporary folder)")
    args = parser.parse_args()

    current = os.path.join(args.build, "benchmarks", "training_throughput")
    if not os.access(current, os.X_OK):
        sys.exit(f"against_commit: {current} is missing: build the training_throughput target first")
    tree = args.keep or os.path.join(tempfile.mkdtemp(prefix="est-against-"), "tree")
    try:
        earlier = build_commit(args.commit, tree)
        head = run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        print(f"this build ({head}) against {args.commit}: training_throughput {args.scale}, "
              f"{args.rounds} rounds, the two in turns")
        rounds = []
        for r in range(args.rounds):
            before = figures_of(earlier, args.scale)
            after = figures_of(current, args.scale)
            rounds.append((before, after))
            print(f"round {r + 1}/{args.rounds}  " + "  ".join(
                f"{f} {before[f]:,.0f} -> {after[f]:,.0f}" for f in FIGURES), flush=True)
        print(f"\n{'figure':<15} {args.commit:>28} {'this build':>28} {'this / earlier, per round':>28}")
        for f in FIGURES:
            before = [b[f] for b, _ in rounds]
            after = [a[f] for _, a in rounds]
            ratios = [a[f] / b[f] for b, a in rounds]
            print(f"{f:<15} {spread(before):>28} {spread(after):>28} {spread(ratios, 2):>28}")
    finally:
        if not args.keep:
            subprocess.run(["git", "worktree", "remove", "--force", tree], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            shutil.rmtree(os.path.dirname(tree), ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as failure:
        command = " ".join(str(part) for part in failure.cmd)
        sys.exit(f"against_commit: `{command}` failed (exit status {failure.returncode})")
