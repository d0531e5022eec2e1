"""The PyTorch side of medsynth's diffusion benchmarks (docs/architecture.md, "The benchmark models").

Runs the three workloads with exactly medsynth's configurations (torch_models.py) and prints
the median and min-max time of each, as a table or, with --json, as the JSON that
`medsynth bench --pytorch` reads to print ratios. PyTorch is a reference only: medsynth never
needs it.

    python3 benchmarks/torch_reference.py [--repeats 15] [--threads 2] [--json] [names...]
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from torch_models import Autoencoder, UNet


def unet_train_step(batch=32):
    """forward, MSE, backward and an Adam step (lr 1e-4) of the UNet on 9x16x16 inputs."""
    torch.manual_seed(0)
    model = UNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 9, 16, 16)
    target = torch.randn(batch, 4, 16, 16)
    t = torch.randint(0, 1000, (batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x, t), target)
        loss.backward()
        optimizer.step()
    return step


def autoencoder_train_step(batch=32):
    """forward, MSE reconstruction, backward and an Adam step (lr 1e-4) of the autoencoder."""
    torch.manual_seed(0)
    model = Autoencoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(batch, 1, 64, 64) * 2 - 1

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), x)
        loss.backward()
        optimizer.step()
    return step


def ddim_sampling(batch=16, steps=50, train_steps=1000):
    """DDIM (eta 0, leading spacing) over 50 of 1000 linear-beta (1e-4..0.02) steps: 50 UNet
    forwards on [4 latent | 5 condition] channels at 16x16, without gradients."""
    torch.manual_seed(0)
    model = UNet().eval()
    betas = torch.linspace(1e-4, 0.02, train_steps, dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - betas, 0)
    stride = train_steps // steps
    timesteps = list(range(0, train_steps, stride))[::-1]
    condition = torch.randn(batch, 5, 16, 16)
    noise = torch.randn(batch, 4, 16, 16)

    def run():
        with torch.no_grad():
            x = noise
            for t in timesteps:
                eps = model(torch.cat([x, condition], 1), torch.full((batch,), t))
                ab = alpha_bar[t].item()
                ab_prev = alpha_bar[t - stride].item() if t - stride >= 0 else 1.0
                x0 = (x - (1 - ab) ** 0.5 * eps) / ab ** 0.5
                x = ab_prev ** 0.5 * x0 + (1 - ab_prev) ** 0.5 * eps
        return x
    return run


WORKLOADS = {
    "unet train step b32": unet_train_step,
    "autoencoder train step b32": autoencoder_train_step,
    "ddim 50 steps b16": ddim_sampling,
}


def measure(run, repeats):
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only workloads whose names contain one of these")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    for name, make in WORKLOADS.items():
        if args.names and not any(n.lower() in name for n in args.names):
            continue
        times = measure(make(), args.repeats)
        result = {"name": name, "median_seconds": statistics.median(times),
                  "min_seconds": min(times), "max_seconds": max(times), "repeats": args.repeats}
        results.append(result)
        if not args.json:
            print(f"{name:32s} {result['median_seconds'] * 1e3:9.1f} ms  "
                  f"({result['min_seconds'] * 1e3:.1f}-{result['max_seconds'] * 1e3:.1f})", flush=True)
    if args.json:
        json.dump({"torch": torch.__version__, "threads": args.threads, "results": results}, sys.stdout, indent=2)
        print()


if __name__ == "__main__":
    main()
