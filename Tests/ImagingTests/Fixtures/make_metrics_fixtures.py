"""Reference values for Imaging's metrics (Tests/ImagingTests/Fixtures/metrics.json).

Run once from this folder: python3 make_metrics_fixtures.py
Needs numpy, scipy, scikit-image and Pillow. Every array is rounded to float32 before the
reference is computed, because medsynth's tensors hold float32: both sides see the same numbers.
"""
import json

import numpy as np
import scipy.linalg
import skimage
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

rng = np.random.default_rng(20261122)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def short(a):
    # float32 values written with the fewest digits that read back as the same float32.
    return [float(np.format_float_positional(np.float32(v), unique=True)) for v in a.ravel()]


def ssim(x, y, data_range):
    # The convention medsynth follows: Gaussian window (sigma 1.5, truncate 3.5, so 11 wide),
    # population covariances, K1 0.01, K2 0.03, reflect padding, border of 5 cropped.
    return float(structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False, data_range=data_range,
                                       K1=0.01, K2=0.03))


ssim_cases = []

# A smooth pattern against a shifted, noisier copy (48 x 64, values in [0, 1]).
h, w = 48, 64
yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
smooth = 0.5 + 0.35 * np.sin(xx / 6.0) * np.cos(yy / 9.0) + 0.1 * (xx / w)
smooth_b = np.clip(0.9 * smooth + 0.05 + 0.04 * rng.standard_normal((h, w)), 0, 1)
ssim_cases.append(("smooth", f32(smooth), f32(smooth_b), 1.0))

# Independent uniform noise against a correlated copy (48 x 64).
noise = rng.uniform(0, 1, (h, w))
noise_b = np.clip(0.6 * noise + 0.4 * rng.uniform(0, 1, (h, w)), 0, 1)
ssim_cases.append(("noise", f32(noise), f32(noise_b), 1.0))

# A real scan (256 x 256, 8-bit) against a blurred, noisier version, both integers in [0, 255].
mri = np.array(Image.open("../../../../shared/data/FatMRISlice.png")).astype(np.float64)
blurred = skimage.filters.gaussian(mri, sigma=1.0, preserve_range=True)
mri_b = np.clip(np.round(blurred + 6.0 * rng.standard_normal(mri.shape)), 0, 255)
ssim_cases.append(("FatMRISlice", mri, mri_b, 255.0))

cases = []
for name, x, y, r in ssim_cases:
    integral = name == "FatMRISlice"
    enc = (lambda a: a.astype(int).ravel().tolist()) if integral else short
    cases.append({
        "name": name, "height": x.shape[0], "width": x.shape[1], "dataRange": r,
        "x": enc(x), "y": enc(y),
        "ssim": ssim(x, y, r),
        "psnr": float(peak_signal_noise_ratio(y, x, data_range=r)),
        "mse": float(np.mean((x - y) ** 2)),
    })


def frechet(a, b):
    # pytorch-fid's formula: sample covariances (n - 1), scipy.linalg.sqrtm of the product.
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


frechet_cases = []
for name, n, m, d in [("d8", 300, 250, 8), ("d32", 400, 500, 32)]:
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    a = f32(rng.standard_normal((n, d)) @ mix + 0.3)
    b = f32(1.2 * rng.standard_normal((m, d)) @ (mix + 0.2 * np.eye(d)) - 0.1)
    frechet_cases.append({"name": name, "n": n, "m": m, "d": d,
                          "a": short(a), "b": short(b),
                          "frechet": frechet(a, b)})

with open("metrics.json", "w") as f:
    json.dump({"generator": "make_metrics_fixtures.py, scikit-image " + skimage.__version__
               + ", scipy " + scipy.__version__,
               "ssim": cases, "frechet": frechet_cases}, f)
for c in cases:
    print(c["name"], c["ssim"], c["psnr"], c["mse"])
for c in frechet_cases:
    print(c["name"], c["frechet"])
