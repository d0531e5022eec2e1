"""Reference values for the evaluation metrics (Tests/ImagingTests/Fixtures/evaluation.json).

Run once from this folder: python3 make_evaluation_fixtures.py
Made with Python 3.11, numpy 2.4.6, scipy 1.17.1, torch 2.15.0, torchmetrics 1.9.0, scikit-image 0.26.0,
Pillow 13.0.0, scikit-learn 1.9.1 and prdc 0.2 (NAVER's reference implementation, which uses scikit-learn's
pairwise_distances). Every value is seeded, so a rerun with these versions writes the same file.

"torchmetrics": SSIM and MS-SSIM per image in torchmetrics' convention, beside scikit-image's SSIM (the
convention medsynth already follows) for the same pairs. Images are stored as base64 of uint8 bytes,
row-major [n, 1, height, width]; an image's value is byte / 255 rounded to float32, and every reference is
computed in float64 from those float32 values.
  mri      n = 2: the 208 x 208 centre of ../../Scans/FatMRISlice.png (Apache-2.0, Insight Toolkit) against
           a blurred (Gaussian, sigma 1), noisier (std 0.03) copy quantised to 8 bits; then that crop
           shifted 2 columns to the right (circularly: column c holds column c - 2 mod 208) against itself.
           The crop is 208, not 256, to keep the file under about 600 KB.
  texture  n = 3: 192 x 208 (non-square on purpose) sums of sinusoids plus noise, against copies with a
           small change of gain and offset and fresh noise.
torchmetrics' conventions, read from torchmetrics 1.9.0 (functional/image/ssim.py), which differ from
scikit-image's: an 11-tap Gaussian (sigma 1.5) after padding by 5 with torch's "reflect" (the edge sample
not repeated, scipy's "mirror"), the SSIM map averaged over the whole image (no border cropped), variances
clamped at 0; MS-SSIM crops 5 from the contrast-structure maps at scales 1-4 but not from the SSIM map at
scale 5, pools 2 x 2 (odd sizes floored), clamps each scale's value at 0 (normalize="relu", the public
function's default) and raises them to betas held as a float32 tensor (0.0448 becomes 0.04479999840...).
scikit-image (gaussian_weights=True, sigma=1.5, use_sample_covariance=False) uses scipy's "reflect"
(the edge sample repeated) and crops 5 from every border before averaging.

"prdc": precision, recall, density and coverage (Naeem et al. 2020) from prdc.compute_prdc on float64
arrays holding float32-rounded values; the features are written as those float32 values, exactly.
  a  n 40, m 30, d 8: real ~ N(0, I), fake ~ N(0.5, 1.2^2 I), k 3
  b  the same sets, k 5
  c  n 25, m 25, d 3: fake = real + N(0, (1e-3)^2 I), a near-copy, k 3
  d  n 30, m 20, d 16: real ~ N(0, I), fake ~ N(5, I), far away, k 3
The script also checks that exact distances (not scikit-learn's |x|^2 + |y|^2 - 2 x.y) give the same four
values and prints the smallest gap between a distance and the radius it is compared with.
"""
import base64
import contextlib
import io
import json
import warnings

import numpy as np
import prdc
import scipy.ndimage
import skimage
import torch
import torchmetrics
from PIL import Image
from skimage.metrics import structural_similarity
from torchmetrics.functional.image import (multiscale_structural_similarity_index_measure,
                                           structural_similarity_index_measure)

rng = np.random.default_rng(20260307)


def to_bytes(a):
    return np.clip(np.rint(np.asarray(a, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def torchmetrics_case(name, x8, y8):
    # x8, y8: uint8 [n, height, width].
    n, h, w = x8.shape
    x = (x8.astype(np.float32) / np.float32(255)).astype(np.float64)
    y = (y8.astype(np.float32) / np.float32(255)).astype(np.float64)
    tx, ty = torch.from_numpy(x)[:, None], torch.from_numpy(y)[:, None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ssim = structural_similarity_index_measure(tx, ty, data_range=1.0, reduction="none")
        msssim = multiscale_structural_similarity_index_measure(tx, ty, data_range=1.0, reduction="none")
    for c in caught:
        print("WARNING from torchmetrics,", name + ":", c.category.__name__, c.message)
    assert ssim.dtype == torch.float64 and msssim.dtype == torch.float64
    sk = [float(structural_similarity(x[i], y[i], data_range=1.0, gaussian_weights=True, sigma=1.5,
                                      use_sample_covariance=False)) for i in range(n)]
    return {"name": name, "n": n, "height": h, "width": w, "dataRange": 1.0,
            "x": base64.b64encode(x8.tobytes()).decode("ascii"),
            "y": base64.b64encode(y8.tobytes()).decode("ascii"),
            "ssim": [float(v) for v in ssim.reshape(-1)],
            "msssim": [float(v) for v in msssim.reshape(-1)],
            "skimageSsim": sk}


tm_cases = []

# mri: the centre 208 x 208 of the slice.
mri = np.array(Image.open("../../Scans/FatMRISlice.png").convert("L"))
size = 208
top, left = (mri.shape[0] - size) // 2, (mri.shape[1] - size) // 2
mri = mri[top:top + size, left:left + size]
mri01 = (mri.astype(np.float32) / np.float32(255)).astype(np.float64)
degraded = scipy.ndimage.gaussian_filter(mri01, 1.0) + 0.03 * rng.standard_normal(mri.shape)
degraded8 = to_bytes(np.clip(degraded, 0, 1))
shifted8 = np.roll(mri, 2, axis=1)
tm_cases.append(torchmetrics_case("mri", np.stack([mri, shifted8]), np.stack([degraded8, mri])))

# texture: 3 pairs, 192 x 208.
h, w = 192, 208
yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
xs, ys = [], []
for _ in range(3):
    t = np.full((h, w), 0.5)
    for _ in range(4):
        fx, fy = rng.uniform(-0.25, 0.25, 2)
        t += rng.uniform(0.05, 0.12) * np.sin(2 * np.pi * (fx * xx + fy * yy) / 4 + rng.uniform(0, 2 * np.pi))
    t += 0.04 * rng.standard_normal((h, w))
    x8 = to_bytes(np.clip(t, 0, 1))
    x01 = x8 / 255.0
    gain, offset = rng.uniform(0.9, 1.1), rng.uniform(-0.05, 0.05)
    y8 = to_bytes(np.clip(gain * x01 + offset + 0.05 * rng.standard_normal((h, w)), 0, 1))
    xs.append(x8)
    ys.append(y8)
tm_cases.append(torchmetrics_case("texture", np.stack(xs), np.stack(ys)))


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def exact_prdc(real, fake, k):
    # The same definitions with distances computed directly; also the smallest |distance - radius| over
    # every comparison made, so one can see how close the fixture is to a tie.
    dist = lambda a, b: np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    rr = np.sort(dist(real, real), axis=1)[:, k]
    rf = np.sort(dist(fake, fake), axis=1)[:, k]
    d = dist(real, fake)
    inside = d < rr[:, None]
    values = {"precision": inside.any(0).mean(), "recall": (d < rf[None, :]).any(1).mean(),
              "density": (1.0 / k) * inside.sum(0).mean(), "coverage": (d.min(1) < rr).mean()}
    margin = min(np.abs(d - rr[:, None]).min(), np.abs(d - rf[None, :]).min())
    return values, margin


prdc_cases = []
sets = {}
real_a = f32(rng.standard_normal((40, 8)))
fake_a = f32(0.5 + 1.2 * rng.standard_normal((30, 8)))
sets["a"] = (real_a, fake_a, 3)
sets["b"] = (real_a, fake_a, 5)
real_c = f32(rng.standard_normal((25, 3)))
sets["c"] = (real_c, f32(real_c + 1e-3 * rng.standard_normal((25, 3))), 3)
sets["d"] = (f32(rng.standard_normal((30, 16))), f32(5.0 + rng.standard_normal((20, 16))), 3)
for name, (real, fake, k) in sets.items():
    with contextlib.redirect_stdout(io.StringIO()):  # compute_prdc prints the set sizes
        values = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    check, margin = exact_prdc(real, fake, k)
    for key in values:
        assert float(values[key]) == float(check[key]), (name, key, values[key], check[key])
    print(f"prdc {name}: smallest |distance - radius| {margin:.3g}")
    prdc_cases.append({"name": name, "n": real.shape[0], "m": fake.shape[0], "d": real.shape[1], "k": k,
                       "real": [float(v) for v in real.ravel()], "fake": [float(v) for v in fake.ravel()],
                       "precision": float(values["precision"]), "recall": float(values["recall"]),
                       "density": float(values["density"]), "coverage": float(values["coverage"])})

with open("evaluation.json", "w") as f:
    json.dump({"torchmetrics": tm_cases, "prdc": prdc_cases}, f)

print("torchmetrics", torchmetrics.__version__, "torch", torch.__version__, "scikit-image", skimage.__version__)
for c in tm_cases:
    gap = max(abs(a - b) for a, b in zip(c["ssim"], c["skimageSsim"]))
    print(c["name"], f'{c["n"]} x {c["height"]} x {c["width"]}')
    print("  ssim        ", c["ssim"])
    print("  msssim      ", c["msssim"])
    print("  skimageSsim ", c["skimageSsim"])
    print("  largest |ssim - skimageSsim|", gap)
for c in prdc_cases:
    print(c["name"], f'n {c["n"]} m {c["m"]} d {c["d"]} k {c["k"]}:',
          {key: c[key] for key in ("precision", "recall", "density", "coverage")})
