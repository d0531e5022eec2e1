"""Reference values for the flow-matching Euler sampler, from diffusers' FlowMatchEulerDiscreteScheduler
(diffusers 0.42, PyTorch, CPU) with its defaults (T = 1000, no dynamic shifting): whole sampling
loops with a fixed velocity "model", every step recorded, for shift 1 and 3 and 1 to 50 steps,
and the forward process (`scale_noise`) at a few sigmas.

diffusers keeps its sigmas in float32; they are recorded as diffusers has them, and the loop is
run here in float64 from those sigmas, so that the references measure medsynth's arithmetic
(float32 tensors, float64 sigmas) and the tolerance only has to cover float32 rounding.

Run: python make_flow_fixtures.py   (from this folder)
"""
import json

import torch
import diffusers
from diffusers import FlowMatchEulerDiscreteScheduler

from fixture_helpers import short, tensor

assert diffusers.__version__.startswith("0.42"), diffusers.__version__
torch.manual_seed(2)
SHAPE = [2, 1, 4, 4]
T = 1000


def model(sample, t):
    """The fixed deterministic velocity "model": 0.1 x_t - 0.3 + 0.05 t / T."""
    return 0.1 * sample - 0.3 + 0.05 * t / T


loops = []
for shift in [1.0, 3.0]:
    for n in [1, 2, 10, 20, 50]:
        s = FlowMatchEulerDiscreteScheduler(num_train_timesteps=T, shift=shift)
        s.set_timesteps(n)
        sigmas = s.sigmas.double()
        times = s.timesteps.double()
        x = torch.randn(*SHAPE, dtype=torch.float32).double()
        initial = x.clone()
        steps, originals = [], []
        # diffusers' own step, in float32, as a check that the float64 loop below is its formula.
        x32 = x.float()
        for i in range(n):
            v = model(x, times[i].item())
            originals.append(tensor(x - sigmas[i] * v))
            x = x + (sigmas[i + 1] - sigmas[i]) * v
            steps.append(tensor(x))
            x32 = s.step(model(x32, times[i].item()).float(), s.timesteps[i], x32).prev_sample
        assert torch.allclose(x32.double(), x, atol=1e-4, rtol=1e-4), (shift, n)
        loops.append({
            "label": f"shift {shift:g}, {n} steps", "shift": shift, "inferenceSteps": n,
            "modelTimes": [short(t) for t in times.tolist()], "sigmas": [short(v) for v in sigmas.tolist()],
            "initialNoise": tensor(initial), "steps": steps, "predictedOriginalSamples": originals,
        })

# The forward process: z = sigma * noise + (1 - sigma) * x0.
s = FlowMatchEulerDiscreteScheduler(num_train_timesteps=T)
s.set_timesteps(10)
original = torch.randn(*SHAPE)
noise = torch.randn(*SHAPE)
forward = []
for i in [0, 3, 9]:
    z = s.scale_noise(original, s.timesteps[i:i + 1], noise)
    forward.append({"sigma": short(s.sigmas[i].item()), "noisy": tensor(z)})

with open("flow_fixtures.json", "w") as f:
    json.dump({"note": "made by make_flow_fixtures.py with diffusers " + diffusers.__version__,
               "trainingSteps": T, "loops": loops,
               "forward": {"original": tensor(original), "noise": tensor(noise), "cases": forward}}, f)
print(len(loops), "loops")
