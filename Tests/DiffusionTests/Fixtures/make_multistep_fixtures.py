"""Reference values for the DPM-Solver++ tests, from diffusers' DPMSolverMultistepScheduler
(diffusers 0.42, PyTorch, CPU): whole sampling loops with a fixed "denoiser", every step recorded.

Writes multistep_fixtures.json. As in make_scheduler_fixtures.py, diffusers' float32 tables are
replaced by the same formulas in float64 so that the references measure medsynth's arithmetic,
not float32 rounding of the tables: alphas_cumprod before set_timesteps, and sigmas after it (from
diffusers' own timesteps, and for Karras sigmas from diffusers' own _convert_to_karras run on the
float64 table), each checked against diffusers' float32 values. The loop then runs in float64
except for one cast diffusers makes of x_t to float32 at every step, which the tolerance covers.

Run: python make_multistep_fixtures.py   (from this folder)
"""
import json

import numpy as np
import torch
import diffusers
from diffusers import DPMSolverMultistepScheduler

from fixture_helpers import betas64, model, randn, short, tensor


assert diffusers.__version__.startswith("0.42"), diffusers.__version__
torch.manual_seed(1)
SHAPE = [2, 1, 4, 4]
T = 1000


def scheduler(kind, prediction, spacing, karras):
    start, end = (1e-4, 0.02) if kind == "linear" else (0.00085, 0.012)
    s = DPMSolverMultistepScheduler(num_train_timesteps=T, beta_schedule=kind, beta_start=start, beta_end=end,
                                    prediction_type=prediction, timestep_spacing=spacing, use_karras_sigmas=karras)
    betas = betas64(kind, T, start=start, end=end)
    assert torch.allclose(torch.cumprod(1 - betas, 0), s.alphas_cumprod.double(), rtol=0, atol=5e-6), kind
    return s, betas, start, end


def loop(kind, prediction, spacing, karras, n):
    s, betas, start, end = scheduler(kind, prediction, spacing, karras)
    s.set_timesteps(n)
    alphas_cumprod = torch.cumprod(1 - betas, 0).numpy()
    table = ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
    timesteps = s.timesteps.numpy()
    if karras:
        sigmas = s._convert_to_karras(in_sigmas=np.flip(table).copy(), num_inference_steps=n)
    else:
        sigmas = np.interp(timesteps, np.arange(0, T), table)
    sigmas = np.concatenate([sigmas, [0.0]])
    # The same formula as diffusers: its float32 table differs most near t = 0, where 1 - alpha-bar
    # is a small difference of float32 numbers (about 6e-4 relative at beta_0 = 1e-4).
    assert np.allclose(sigmas, s.sigmas.double().numpy(), rtol=1e-3, atol=1e-7), (kind, spacing, karras, n)
    s.sigmas = torch.from_numpy(sigmas)
    s.alphas_cumprod = torch.from_numpy(alphas_cumprod)
    # Steps are taken by index. (diffusers finds its first step by looking the timestep up, and
    # when the first timestep repeats, as Karras sigmas on the cosine schedule make it, it picks
    # the second occurrence and runs past its last sigma; set_begin_index(0) avoids that.)
    s.set_begin_index(0)
    x = randn(*SHAPE)
    initial = x
    steps = []
    for t in s.timesteps:
        output = model(x, int(t), T)
        x = s.step(output, t, x).prev_sample
        steps.append(tensor(x))
    return {
        "label": f"dpm++2m {kind} {prediction} {spacing}{' karras' if karras else ''} n={n}",
        "kind": kind, "betaStart": start, "betaEnd": end, "prediction": prediction, "spacing": spacing,
        "karras": karras, "inferenceSteps": n, "timesteps": [int(t) for t in s.timesteps],
        "sigmas": [short(v) for v in sigmas.tolist()], "initialNoise": tensor(initial), "steps": steps,
    }


loops = []
for kind in ["linear", "scaled_linear", "squaredcos_cap_v2"]:
    for prediction in ["epsilon", "v_prediction"]:
        for spacing in ["linspace", "leading", "trailing"]:
            for karras in [False, True]:
                # Every combination at a middle step count; step counts swept on two of them.
                counts = [1, 2, 5, 10, 20, 50] if (prediction, spacing) in [("epsilon", "linspace"), ("v_prediction", "trailing")] else [10]
                for n in counts:
                    loops.append(loop(kind, prediction, spacing, karras, n))

fixtures = {"diffusers": diffusers.__version__, "torch": torch.__version__, "trainingSteps": T, "loops": loops}
with open("multistep_fixtures.json", "w") as f:
    json.dump(fixtures, f, separators=(",", ":"))
print(f"{len(loops)} loops")
