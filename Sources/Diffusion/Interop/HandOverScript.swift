/// train.py of a training hand-over (`TrainingHandOver`): a PyTorch trainer of the same
/// objective as medsynth's `train` for a denoiser, run by `python3 train.py` or by torchrun on
/// any number of processes. It is kept in the binary, so that an installed medsynth writes it.
///
/// It rebuilds the network under medsynth's parameter paths (medsynth's UNet and condition
/// encoder as small PyTorch modules below; diffusers' UNet2DModel from diffusers), checks that
/// it reproduces medsynth's recorded output before training, and writes its weights back under
/// the same paths with the start's metadata, so that `load` reads the result as a medsynth model.
enum HandOverScript {
    static let text = #"""
#!/usr/bin/env python3
"""Trains a denoiser handed over by `medsynth export` (see README.md beside this file).

python3 train.py [--steps N] [--device cpu|cuda] [--out FOLDER]
torchrun --nproc_per_node=K train.py [...]

Reads start.safetensors, data.safetensors and training.json from this folder; writes
result.safetensors (medsynth loads it) and history.csv to --out.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def sinusoid(t, dim, flip=True, shift=0.0):
    """medsynth's (and diffusers') sinusoidal timestep embedding, [cos | sin] when flipped."""
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / (half - shift)
    args = t.float()[:, None] * torch.exp(exponent)[None]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if flip:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return F.pad(emb, (0, dim % 2))


class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.timeProjection = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.timeProjection(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + (self.skip(x) if self.skip is not None else x)


class SelfAttention(nn.Module):
    def __init__(self, channels, heads):
        super().__init__()
        self.heads = heads
        self.query, self.key = nn.Linear(channels, channels), nn.Linear(channels, channels)
        self.value, self.output = nn.Linear(channels, channels), nn.Linear(channels, channels)

    def forward(self, x):
        n, c, h, w = x.shape
        tokens = x.reshape(n, c, h * w).transpose(1, 2)
        split = lambda p: p.reshape(n, h * w, self.heads, c // self.heads).transpose(1, 2)
        a = F.scaled_dot_product_attention(split(self.query(tokens)), split(self.key(tokens)), split(self.value(tokens)))
        return self.output(a.transpose(1, 2).reshape(n, h * w, c)).transpose(1, 2).reshape(n, c, h, w)


class AttentionBlock(nn.Module):
    def __init__(self, channels, heads, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.selfAttention = SelfAttention(channels, heads)

    def forward(self, x):
        return x + self.selfAttention(self.norm(x))


class TimeEmbedding(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, t):
        return self.linear2(F.silu(self.linear1(sinusoid(t, self.linear1.in_features))))


class MedsynthUNet(nn.Module):
    """medsynth's UNet (Sources/Diffusion/UNet/UNet.swift), parameters named as its paths."""

    def __init__(self, a):
        super().__init__()
        widths, blocks, groups, temb = a["widths"], a["blocks"], a["groups"], a["time_width"]
        block = lambda i, o: ResidualBlock(i, o, temb, groups, a["dropout"])
        self.timeEmbedding = TimeEmbedding(temb)
        self.inputConv = nn.Conv2d(a["in_channels"], widths[0], 3, padding=1)
        width, down, downsample = widths[0], [], []
        for level, w in enumerate(widths):
            level_blocks = []
            for _ in range(blocks):
                level_blocks.append(block(width, w))
                width = w
            down.append(nn.ModuleList(level_blocks))
            if level < len(widths) - 1:
                downsample.append(nn.Conv2d(width, width, 3, stride=2, padding=1))
        self.down, self.downsample = nn.ModuleList(down), nn.ModuleList(downsample)
        self.attention = AttentionBlock(width, a["heads"], groups)
        upsample, up = [], []
        for w in reversed(widths[:-1]):
            upsample.append(nn.Conv2d(width, width, 3, padding=1))
            level_blocks, inputs = [], width + w
            for _ in range(blocks):
                level_blocks.append(block(inputs, w))
                inputs = w
            up.append(nn.ModuleList(level_blocks))
            width = w
        self.upsample, self.up = nn.ModuleList(upsample), nn.ModuleList(up)
        self.outputNorm = nn.GroupNorm(groups, width)
        self.outputConv = nn.Conv2d(width, a["out_channels"], 3, padding=1)

    def forward(self, x, t):
        emb = self.timeEmbedding(t)
        h, skips = self.inputConv(x), []
        for level, blocks in enumerate(self.down):
            for b in blocks:
                h = b(h, emb)
            if level < len(self.downsample):
                skips.append(h)
                h = self.downsample[level](h)
        h = self.attention(h)
        for conv, blocks in zip(self.upsample, self.up):
            h = torch.cat([conv(F.interpolate(h, scale_factor=2.0, mode="nearest")), skips.pop()], dim=1)
            for b in blocks:
                h = b(h, emb)
        return self.outputConv(F.silu(self.outputNorm(h)))


class ConditionEncoder(nn.Module):
    """medsynth's condition encoder (Sources/Diffusion/UNet/ConditionEncoder.swift)."""

    def __init__(self, cin, e):
        super().__init__()
        width = e["width"]
        self.inputConv = nn.Conv2d(cin, width, 3, padding=1)
        self.downsample = nn.ModuleList(
            [nn.Conv2d(width, width, 3, stride=2, padding=1) for _ in range(int(math.log2(e["factor"])))])
        self.outputConv = nn.Conv2d(width, e["out_channels"], 3, padding=1)

    def forward(self, c):
        h = F.silu(self.inputConv(c))
        for conv in self.downsample:
            h = F.silu(conv(h))
        return self.outputConv(h)


class DiffusersBackbone(nn.Module):
    """diffusers' UNet2DModel, called as medsynth calls its backbone."""

    def __init__(self, config_path):
        super().__init__()
        from diffusers import UNet2DModel
        with open(config_path) as f:
            config = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
        self.model = UNet2DModel.from_config(config)

    def forward(self, x, t):
        return self.model(x, t).sample


class ConditionalUNet(nn.Module):
    """prediction = unet(concat(z_t, encoder(c)), t), as medsynth's ConditionalUNet."""

    def __init__(self, spec):
        super().__init__()
        channels = sum(g["channels"] for g in spec["conditions"])
        self.encoder = ConditionEncoder(channels, spec["encoder"]) if spec["encoder"] else None
        if spec["unet"]["kind"] == "medsynth":
            self.unet = MedsynthUNet(spec["unet"])
        else:
            self.unet = DiffusersBackbone(os.path.join(HERE, spec["unet"]["config"]))

    def forward(self, latent, condition, t):
        encoded = self.encoder(condition) if self.encoder is not None else condition
        return self.unet(torch.cat([latent, encoded], dim=1), t)


def medsynth_state(model):
    """The state dict under medsynth's paths (diffusers' model sits one level deeper here)."""
    return {k.replace("unet.model.", "unet."): v for k, v in model.state_dict().items()}


def load_medsynth_state(model, tensors):
    own = model.state_dict()
    renamed = {("unet.model." + k[len("unet."):] if "unet.model." + k[len("unet."):] in own else k): v for k, v in tensors.items()}
    model.load_state_dict(renamed, strict=True)


def learning_rate(step, spec):
    peak, low, warmup, total = spec["lr"], spec["min_lr"], spec["warmup"], spec["steps"]
    if step < warmup:
        return peak * (step + 1) / warmup
    if step >= total:
        return low
    progress = (step - warmup) / (total - warmup)
    return low + (peak - low) * (1 + math.cos(math.pi * progress)) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, help="train this many steps instead of training.json's")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when there is one)")
    parser.add_argument("--out", default=HERE, help="where result.safetensors and history.csv go")
    parser.add_argument("--log-every", type=int, default=10)
    args = parser.parse_args()
    with open(os.path.join(HERE, "training.json")) as f:
        spec = json.load(f)
    if args.steps:
        spec["steps"] = args.steps
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    model = ConditionalUNet(spec)
    load_medsynth_state(model, load_file(os.path.join(HERE, "start.safetensors")))
    model.to(device)
    # The data stay on disk: each step reads its batch's rows (safetensors maps the file), so
    # a data set larger than memory trains as well as the course's.
    data_file = safe_open(os.path.join(HERE, "data.safetensors"), "pt")
    data = {k: data_file.get_tensor(k) for k in data_file.keys() if k not in ("latents", "conditions")}
    latents, conditions = data_file.get_slice("latents"), data_file.get_slice("conditions")
    rows = lambda tensors, indices: torch.cat([tensors[i:i + 1] for i in indices.tolist()])
    alphas = data["alphas_cumprod"].to(device)

    # The check: PyTorch's network must give medsynth's output before it trains.
    model.eval()
    with torch.no_grad():
        out = model(data["check.latents"].to(device), data["check.conditions"].to(device), data["check.timesteps"].to(device))
    reference = data["check.output"].to(device)
    gap = ((out - reference).abs().max() / reference.abs().max()).item()
    if gap > 1e-4:
        sys.exit(f"train.py: the PyTorch network differs from medsynth's by {gap:.2e} (relative) on the recorded samples")
    if rank == 0:
        print(f"check: PyTorch reproduces medsynth's output within {gap:.1e}", flush=True)
    model.train()

    count = latents.get_shape()[0]
    batch = min(spec["batch"], count)
    mine = batch // world + (1 if rank < batch % world else 0)
    offset = rank * (batch // world) + min(rank, batch % world)
    groups, start = [], 0
    for g in spec["conditions"]:
        groups.append((start, start + g["channels"], g["drop"]))
        start += g["channels"]
    prediction = spec["prediction"]

    trained = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    parameters = [p for p in model.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=spec["lr"], betas=(0.9, 0.999), eps=1e-8)
    average = [p.detach().clone() for p in parameters] if spec["ema"] else None
    order_generator = torch.Generator().manual_seed(spec["seed"])
    noise_generator = torch.Generator(device=device).manual_seed(spec["seed"] * 1000 + rank + 1)
    permutation, position = torch.randperm(count, generator=order_generator), 0
    history = []
    clock = time.time()
    for step in range(spec["steps"]):
        if position + batch > count:
            permutation, position = torch.randperm(count, generator=order_generator), 0
        indices = permutation[position + offset:position + offset + mine]
        position += batch
        x0, c = rows(latents, indices).to(device), rows(conditions, indices).to(device)
        n = x0.shape[0]
        for first, last, p in groups:  # classifier-free guidance: each group dropped on its own
            keep = (torch.rand(n, generator=noise_generator, device=device) >= p).float()[:, None, None, None]
            c[:, first:last] *= keep
        t = torch.randint(0, alphas.shape[0], (n,), generator=noise_generator, device=device)
        noise = torch.randn(x0.shape, generator=noise_generator, device=device)
        ab = alphas[t][:, None, None, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        target = {"epsilon": noise, "sample": x0, "v_prediction": ab.sqrt() * noise - (1 - ab).sqrt() * x0}[prediction]
        rate = learning_rate(step, spec)
        for group in optimizer.param_groups:
            group["lr"] = rate
        loss = F.mse_loss(trained(xt, c, t.float()), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if spec["clip"]:
            torch.nn.utils.clip_grad_norm_(parameters, spec["clip"])
        optimizer.step()
        if average is not None:
            decay = min(spec["ema"], 1 - (1 + step) ** -spec["ema_power"])
            with torch.no_grad():
                for a, p in zip(average, parameters):
                    a.mul_(decay).add_(p.detach(), alpha=1 - decay)
        value = loss.detach()
        if world > 1:
            dist.all_reduce(value)
            value /= world
        history.append((step + 1, value.item(), rate))
        if rank == 0 and ((step + 1) % args.log_every == 0 or step + 1 == spec["steps"]):
            print(f"step {step + 1}/{spec['steps']}  loss {value.item():.5f}  lr {rate:.2e}  {time.time() - clock:.1f} s", flush=True)

    if rank == 0:
        if average is not None:
            with torch.no_grad():
                for a, p in zip(average, parameters):
                    p.copy_(a)
        os.makedirs(args.out, exist_ok=True)
        with safe_open(os.path.join(HERE, "start.safetensors"), "pt") as f:
            metadata = f.metadata()
        state = {k: v.detach().cpu().contiguous() for k, v in medsynth_state(model).items()}
        save_file(state, os.path.join(args.out, "result.safetensors"), metadata=metadata)
        with open(os.path.join(args.out, "history.csv"), "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["step", "loss", "lr"])
            writer.writerows(history)
        print(f"wrote {os.path.join(args.out, 'result.safetensors')}: load it in medsynth", flush=True)
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
"""#
}
