"""Where PyTorch's time goes in medsynth's diffusion workloads, by kind of operation: the
twin of `medsynth bench --profile`.

Runs each workload of torch_reference.py (same models, same inputs) under torch.profiler after
a warm-up, and prints, per run, each kind's self CPU time (time in the operator itself, not
in the operators it calls), the number of calls, and its share of the run's wall time. The
kinds are the same as medsynth's table: convolution forward and backward, normalisation,
attention (matrix products and softmax), element-wise, the optimizer, and the rest.

    python3 benchmarks/torch_profile.py [--runs 5] [--threads 2] [--top 12] [names...]
"""
import argparse
import collections
import time

import torch
from torch.profiler import ProfilerActivity, profile

from torch_reference import WORKLOADS


# Operators that only dispatch to another (their self time is the dispatcher's overhead).
WRAPPERS = {"aten::conv2d", "aten::convolution", "aten::_convolution", "aten::linear", "aten::matmul",
            "aten::group_norm", "aten::scaled_dot_product_attention", "aten::mse_loss"}


def kind(name):
    """The kind of an aten operator, as medsynth's profile names it."""
    if name in WRAPPERS:
        return "dispatch (wrapper operators)"
    n = name.lower()
    if "convolution_backward" in n:
        return "conv2d backward"
    if "conv" in n:
        return "conv2d forward"
    if "group_norm" in n and "backward" in n:
        return "group norm backward"
    if "group_norm" in n:
        return "group norm forward"
    if any(k in n for k in ("bmm", "baddbmm", "softmax", "addmm", "::mm", "matmul", "linear")):
        return "matrix products and softmax" + (" backward" if "backward" in n else "")
    if any(k in n for k in ("adam", "_foreach", "optimizer")):
        return "optimizer"
    if any(k in n for k in ("copy_", "empty", "zero_", "fill_", "contiguous", "clone", "to_copy", "resize")) or n == "aten::cat":
        return "copies and allocation"
    if "backward" in n:
        return "element-wise backward"
    return "element-wise and other"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only workloads whose names contain one of these")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top", type=int, default=12, help="also list this many operators by self time")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    torch.set_num_threads(args.threads)
    print(f"PyTorch {torch.__version__}, {args.threads} threads, {args.runs} profiled runs after one warm-up")
    for name, make in WORKLOADS.items():
        if args.names and not any(n.lower() in name for n in args.names):
            continue
        run = make()
        run()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            for _ in range(args.runs):
                run()
            wall = (time.perf_counter() - start) / args.runs * 1e3
        kinds = collections.defaultdict(lambda: [0.0, 0])
        operators = []
        for event in prof.key_averages():
            if not event.key.startswith("aten::") and "Optimizer" not in event.key:
                continue
            self_ms = event.self_cpu_time_total / 1e3 / args.runs
            operators.append((self_ms, event.count / args.runs, event.key))
            entry = kinds[kind(event.key)]
            entry[0] += self_ms
            entry[1] += event.count / args.runs
        print(f"\n{name}: {wall:.1f} ms per profiled run (the profiler adds its own overhead)")
        print(f"  {'kind':34s} {'calls/run':>10s} {'ms/run':>9s} {'share':>7s}")
        for label, (ms, calls) in sorted(kinds.items(), key=lambda item: -item[1][0]):
            print(f"  {label:34s} {calls:10.0f} {ms:9.1f} {ms / wall:7.1%}")
        print("  top operators by self CPU time:")
        for ms, calls, key in sorted(operators, reverse=True)[:args.top]:
            print(f"    {key:40s} {calls:8.0f} {ms:9.1f} ms")


if __name__ == "__main__":
    main()
