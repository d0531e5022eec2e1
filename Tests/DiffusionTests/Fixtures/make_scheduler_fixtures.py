"""Reference values for the Schedule* and Sampler* tests, from diffusers' DDPMScheduler and
DDIMScheduler (diffusers 0.42, PyTorch, CPU).

Writes scheduler_fixtures.json. diffusers keeps its tables (betas, alphas_cumprod) in float32;
medsynth computes them in float64. So that the step and loop references measure medsynth's
arithmetic and not float32 rounding of the tables, every scheduler here has its tables replaced by
the same formulas evaluated in float64 (checked against diffusers' own float32 tables to within a
float32 rounding) and runs on float64 inputs, which are float32 values so that the Swift side sees
identical inputs. The float32 tables are written too, to show how far diffusers' own numbers are.

Run: python make_scheduler_fixtures.py   (from this folder)
"""
import json

import numpy as np
import torch
import diffusers
from diffusers import DDIMScheduler, DDPMScheduler
from diffusers.schedulers import scheduling_ddpm
from diffusers.schedulers.scheduling_ddpm import rescale_zero_terminal_snr

from fixture_helpers import betas64, model, randn, short, tensor

assert diffusers.__version__.startswith("0.42"), diffusers.__version__
torch.manual_seed(0)
SHAPE = [2, 1, 4, 4]


def check_same_formula(betas, scheduler, what):
    """float64 tables agree with diffusers' float32 ones to float32 rounding: betas to 3e-7 relative
    (the zero-SNR rescale, which takes 1 - a ratio of nearby float32 numbers, only through the
    alpha-bars), alpha-bars to 5e-6 absolute."""
    if not scheduler.config.rescale_betas_zero_snr:
        assert torch.allclose(betas.float(), scheduler.betas, rtol=3e-7, atol=1e-12), what
    assert torch.allclose(torch.cumprod(1 - betas, 0), scheduler.alphas_cumprod.double(), rtol=0, atol=5e-6), what


def in_float64(scheduler, kind, steps, zero_snr):
    """Replaces the scheduler's float32 tables by float64 ones from the same formulas."""
    config = scheduler.config
    betas = betas64(kind, steps, zero_snr, config.beta_start, config.beta_end)
    check_same_formula(betas, scheduler, (kind, steps, zero_snr))
    scheduler.betas = betas
    scheduler.alphas = 1.0 - betas
    scheduler.alphas_cumprod = torch.cumprod(scheduler.alphas, dim=0)
    scheduler.one = torch.tensor(1.0, dtype=torch.float64)
    if isinstance(scheduler, DDIMScheduler):
        set_alpha_to_one = scheduler.config.set_alpha_to_one
        scheduler.final_alpha_cumprod = scheduler.one if set_alpha_to_one else scheduler.alphas_cumprod[0]
    return scheduler


fixtures = {"diffusers": diffusers.__version__, "torch": torch.__version__}

# 1. Schedules: betas and alphas_cumprod of each kind, with and without zero terminal SNR, at
# chosen rows (all of them for T = 10).
schedules = []
for kind in ["linear", "scaled_linear", "squaredcos_cap_v2"]:
    start, end = (1e-4, 0.02) if kind == "linear" else (0.00085, 0.012)
    for steps in [10, 1000]:
        for zero_snr in [False, True]:
            s = DDPMScheduler(num_train_timesteps=steps, beta_schedule=kind, beta_start=start, beta_end=end,
                              rescale_betas_zero_snr=zero_snr)
            b64 = betas64(kind, steps, zero_snr, start, end)
            check_same_formula(b64, s, (kind, steps, zero_snr))
            rows = sorted({t for t in [0, 1, 2, 5, 50, 100, 250, 499, 500, 750, 900, 990, 998] if t < steps}
                          | {steps - 1})
            pick = lambda values: [float(values[t]) for t in rows]
            schedules.append({
                "kind": kind, "betaStart": start, "betaEnd": end, "trainingSteps": steps, "zeroTerminalSNR": zero_snr,
                "timesteps": rows, "betas": pick(b64), "alphasCumprod": pick(torch.cumprod(1 - b64, 0)),
                "alphasCumprodFloat32": pick(s.alphas_cumprod.double()),
            })
fixtures["schedules"] = schedules

# 2. Forward noising and the velocity, linear T = 1000, one timestep per batch item.
s = in_float64(DDPMScheduler(), "linear", 1000, False)
x0, noise = randn(*SHAPE), randn(*SHAPE)
forward = []
for timesteps in [[0, 999], [10, 500], [250, 250]]:
    t = torch.tensor(timesteps)
    forward.append({"timesteps": timesteps, "noisy": tensor(s.add_noise(x0, noise, t)),
                    "velocity": tensor(s.get_velocity(x0, noise, t))})
fixtures["forward"] = {"original": tensor(x0), "noise": tensor(noise), "cases": forward}

# 3. Inference timesteps for each spacing. (For some (T, n) numpy's arange gives diffusers'
# trailing spacing an (n+1)-th timestep, -1; the (50, 29) case records it.)
spacings = []
for spacing, offset in [("leading", 0), ("leading", 1), ("trailing", 0), ("linspace", 0)]:
    for steps, n in [(1000, 1), (1000, 10), (1000, 50), (1000, 999), (1000, 1000), (10, 3), (50, 29), (7, 6)]:
        if spacing == "leading" and offset == 1 and n == steps:
            continue  # the offset would put a timestep at T
        s = DDPMScheduler(num_train_timesteps=steps, timestep_spacing=spacing, steps_offset=offset)
        s.set_timesteps(n)
        d = DDIMScheduler(num_train_timesteps=steps, timestep_spacing=spacing, steps_offset=offset)
        d.set_timesteps(n)
        assert s.timesteps.tolist() == d.timesteps.tolist()
        spacings.append({"spacing": spacing, "offset": offset, "trainingSteps": steps, "inferenceSteps": n,
                         "timesteps": s.timesteps.tolist()})
fixtures["spacings"] = spacings


# 4. Single steps: DDPM and DDIM, each prediction type, clip on and off, both DDPM variances,
# DDIM eta 0 and 0.5, at the first, a middle and the last timestep of the sequence.
def ddpm_step(case, t, sample, output, noise):
    original = scheduling_ddpm.randn_tensor
    scheduling_ddpm.randn_tensor = lambda *args, **kwargs: noise
    try:
        return case.step(output, t, sample)
    finally:
        scheduling_ddpm.randn_tensor = original


steps = []
configs = []
for prediction in ["epsilon", "sample", "v_prediction"]:
    for clip in [False, True]:
        for variance in ["fixed_small", "fixed_large"]:
            configs.append(("ddpm", dict(variance_type=variance), prediction, clip, "linear", False, "leading", 10))
        for eta in [0.0, 0.5]:
            configs.append(("ddim", dict(eta=eta), prediction, clip, "linear", False, "leading", 10))
configs.append(("ddim", dict(eta=0.5), "v_prediction", False, "squaredcos_cap_v2", True, "trailing", 10))
configs.append(("ddim", dict(eta=0.0, set_alpha_to_one=False), "epsilon", False, "scaled_linear", False, "linspace", 7))
configs.append(("ddpm", dict(variance_type="fixed_large"), "v_prediction", False, "scaled_linear", True, "trailing", 10))
for sampler, extra, prediction, clip, kind, zero_snr, spacing, n in configs:
    common = dict(num_train_timesteps=1000, beta_schedule=kind, prediction_type=prediction, clip_sample=clip,
                  clip_sample_range=1.0, timestep_spacing=spacing, rescale_betas_zero_snr=zero_snr)
    if kind != "linear":
        common.update(beta_start=0.00085, beta_end=0.012)
    eta = extra.pop("eta", None)
    scheduler = (DDPMScheduler if sampler == "ddpm" else DDIMScheduler)(**common, **extra)
    scheduler = in_float64(scheduler, kind, 1000, zero_snr)
    scheduler.set_timesteps(n)
    sequence = scheduler.timesteps.tolist()
    for t in [sequence[0], sequence[len(sequence) // 2], sequence[-1]]:
        sample, output, noise = randn(*SHAPE), randn(*SHAPE), randn(*SHAPE)
        if sampler == "ddpm":
            result = ddpm_step(scheduler, t, sample, output, noise)
        else:
            result = scheduler.step(output, t, sample, eta=eta, variance_noise=noise)
        steps.append({
            "sampler": sampler, "prediction": prediction, "clip": clip, "kind": kind, "zeroTerminalSNR": zero_snr,
            "spacing": spacing, "inferenceSteps": n, "variance": extra.get("variance_type"), "eta": eta,
            "setAlphaToOne": extra.get("set_alpha_to_one", True), "timestep": t,
            "sample": tensor(sample), "modelOutput": tensor(output), "noise": tensor(noise),
            "previousSample": tensor(result.prev_sample), "predictedOriginalSample": tensor(result.pred_original_sample),
        })
fixtures["steps"] = steps

# 5. Whole loops with the fixed model from one initial noise; the step noises are fed in order.
loops = []
for sampler, extra, prediction, kind, zero_snr, spacing, n in [
    ("ddim", dict(eta=0.0), "epsilon", "linear", False, "leading", 10),
    ("ddim", dict(eta=0.5), "epsilon", "linear", False, "leading", 10),
    ("ddim", dict(eta=0.0), "v_prediction", "squaredcos_cap_v2", True, "trailing", 8),
    ("ddpm", dict(variance_type="fixed_small"), "epsilon", "linear", False, "leading", 10),
    ("ddpm", dict(variance_type="fixed_large"), "epsilon", "linear", False, "leading", 10),
]:
    common = dict(num_train_timesteps=1000, beta_schedule=kind, prediction_type=prediction, clip_sample=False,
                  timestep_spacing=spacing, rescale_betas_zero_snr=zero_snr)
    eta = extra.pop("eta", None)
    scheduler = (DDPMScheduler if sampler == "ddpm" else DDIMScheduler)(**common, **extra)
    scheduler = in_float64(scheduler, kind, 1000, zero_snr)
    scheduler.set_timesteps(n)
    initial = randn(*SHAPE)
    noises = [randn(*SHAPE) for _ in range(n)]
    x, previews = initial, []
    for i, t in enumerate(scheduler.timesteps.tolist()):
        output = model(x, t, 1000)
        if sampler == "ddpm":
            result = ddpm_step(scheduler, t, x, output, noises[i])
        else:
            result = scheduler.step(output, t, x, eta=eta, variance_noise=noises[i])
        previews.append(tensor(result.pred_original_sample))
        x = result.prev_sample
    loops.append({
        "sampler": sampler, "prediction": prediction, "kind": kind, "zeroTerminalSNR": zero_snr,
        "spacing": spacing, "inferenceSteps": n, "variance": extra.get("variance_type"), "eta": eta,
        "timesteps": scheduler.timesteps.tolist(), "initialNoise": tensor(initial),
        "stepNoises": [tensor(z) for z in noises], "predictedOriginalSamples": previews, "final": tensor(x),
    })
fixtures["loops"] = loops

with open("scheduler_fixtures.json", "w") as f:
    json.dump(fixtures, f)
print(f"{len(schedules)} schedules, {len(forward)} forward cases, {len(spacings)} spacings, "
      f"{len(steps)} steps, {len(loops)} loops")
