"""Reference values for UNetParityTests: a small UNet of benchmarks/torch_models.py, its weights
under medsynth's parameter paths, one forward pass and the gradients of sum(output * R).

Configuration (small, so the fixture stays small): 5 input channels at 8x8, 3 output channels,
widths (8, 16, 32), 2 blocks per level, 2 heads, GroupNorm(4), time embedding 32, batch 2,
timesteps (3, 700). Run from anywhere: python3 make_unet_fixtures.py
Writes unet_parity.safetensors (float32):
  <medsynth path>          every parameter
  input, timesteps, weighting (R), output
  grad.input, grad.<medsynth path>   d sum(output * R) / d (input, the parameters in GRADIENTS)
"""
import os
import re
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "benchmarks"))
if not os.path.exists(os.path.join(sys.path[0], "torch_models.py")):
    sys.path.insert(0, "/work/main/benchmarks")
from torch_models import UNet  # noqa: E402

RENAMES = [
    (r"^time1\.", "timeEmbedding.linear1."),
    (r"^time2\.", "timeEmbedding.linear2."),
    (r"^conv_in\.", "inputConv."),
    (r"\.time\.", ".timeProjection."),
    (r"^attention\.(query|key|value|output)\.", r"attention.selfAttention.\1."),
    (r"^norm_out\.", "outputNorm."),
    (r"^conv_out\.", "outputConv."),
]

# A parameter of every kind of layer, at every stage of the network.
GRADIENTS = [
    "timeEmbedding.linear1.weight", "inputConv.weight", "down.0.0.norm1.weight", "down.0.1.conv1.weight",
    "down.1.0.skip.weight", "down.2.1.timeProjection.bias", "downsample.0.weight",
    "attention.norm.bias", "attention.selfAttention.query.weight", "attention.selfAttention.output.bias",
    "upsample.1.weight", "up.0.0.timeProjection.weight", "up.1.1.conv2.bias", "outputNorm.bias",
    "outputConv.weight",
]


def medsynth_path(name: str) -> str:
    for pattern, replacement in RENAMES:
        name = re.sub(pattern, replacement, name)
    return name


def main():
    torch.manual_seed(20261122)
    model = UNet(cin=5, cout=3, widths=(8, 16, 32), blocks=2, heads=2, groups=4, temb=32)
    # Give GroupNorm's affine parameters values other than 1 and 0, so that they are tested too.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".norm" in name or name.startswith("norm"):
                p.add_(0.2 * torch.randn_like(p))
    x = torch.randn(2, 5, 8, 8, requires_grad=True)
    t = torch.tensor([3, 700])
    y = model(x, t)
    r = torch.randn_like(y)
    (y * r).sum().backward()

    tensors = {}
    for name, p in model.named_parameters():
        path = medsynth_path(name)
        tensors[path] = p.detach().clone()
        if path in GRADIENTS:
            tensors["grad." + path] = p.grad.detach().clone()
    assert all("grad." + g in tensors for g in GRADIENTS)
    tensors["input"] = x.detach().clone()
    tensors["timesteps"] = t.float()
    tensors["weighting"] = r
    tensors["output"] = y.detach().clone()
    tensors["grad.input"] = x.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(HERE, "unet_parity.safetensors"),
              metadata={"parameters": str(sum(p.numel() for p in model.parameters()))})
    print("parameters", sum(p.numel() for p in model.parameters()), "tensors", len(tensors))


if __name__ == "__main__":
    main()
