"""Helpers the fixture scripts share: how numbers are written, float32-rounded normal draws, and
diffusers' beta formulas in float64. Importing this runs nothing."""
import math

import torch
from diffusers.schedulers.scheduling_ddpm import rescale_zero_terminal_snr


def short(v):
    """10 significant digits: exact for the float32 inputs, 1e-10 relative for the references."""
    return float(f"{v:.10g}")


def tensor(t):
    return {"shape": list(t.shape), "values": [short(v) for v in t.reshape(-1).tolist()]}


def randn(*shape):
    """Standard normal values rounded to float32, held in float64."""
    return torch.randn(*shape, dtype=torch.float32).double()


def betas64(kind, steps, zero_snr=False, start=1e-4, end=0.02):
    """diffusers' beta formulas evaluated in float64."""
    if kind == "linear":
        betas = torch.linspace(start, end, steps, dtype=torch.float64)
    elif kind == "scaled_linear":
        betas = torch.linspace(start**0.5, end**0.5, steps, dtype=torch.float64) ** 2
    else:  # squaredcos_cap_v2: betas_for_alpha_bar without the final cast to float32
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = torch.tensor([min(1 - f((i + 1) / steps) / f(i / steps), 0.999) for i in range(steps)],
                             dtype=torch.float64)
    return rescale_zero_terminal_snr(betas) if zero_snr else betas


def model(sample, t, steps):
    """The fixed deterministic "denoiser" of the diffusion fixtures: 0.1 x_t + 0.05 t / T."""
    return 0.1 * sample + 0.05 * t / steps
