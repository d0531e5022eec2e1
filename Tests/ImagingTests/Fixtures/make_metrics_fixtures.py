"""Reference values for Imaging's metrics (Tests/ImagingTests/Fixtures/metrics.json).

Run once from this folder: python3 make_metrics_fixtures.py
Needs numpy, scipy, scikit-image, Pillow, torch and torchmetrics (MS-SSIM). Every array is rounded to float32 before the
reference is computed, because medsynth's tensors hold float32: both sides see the same numbers.
"""
import json

import numpy as np
import scipy.linalg
import skimage
import torch
import torchmetrics
from torchmetrics.functional.image import multiscale_structural_similarity_index_measure
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

rng = np.random.default_rng(20261122)


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def short(a):
    # float32 values written with the fewest digits that read back as the same float32.
    return [float(np.format_float_positional(np.float32(v), unique=True)) for v in a.ravel()]


MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


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
mri = np.array(Image.open("../../Scans/FatMRISlice.png")).astype(np.float64)
blurred = skimage.filters.gaussian(mri, sigma=1.0, preserve_range=True)
mri_b = np.clip(np.round(blurred + 6.0 * rng.standard_normal(mri.shape)), 0, 255)
ssim_cases.append(("FatMRISlice", mri, mri_b, 255.0))

# A texture large enough for MS-SSIM's five scales (192 x 176: 12 x 11 at the coarsest).
h2, w2 = 192, 176
yy2, xx2 = np.mgrid[0:h2, 0:w2].astype(np.float64)
texture = np.clip(0.5 + 0.3 * np.sin(xx2 / 7.0 + yy2 / 11.0) + 0.1 * rng.standard_normal((h2, w2)), 0, 1)
texture_b = np.clip(0.8 * texture + 0.1 + 0.08 * rng.standard_normal((h2, w2)), 0, 1)
ssim_cases.append(("texture", f32(texture), f32(texture_b), 1.0))


def ms_ssim(x, y, data_range):
    # Wang et al. 2003: the contrast-structure mean at scales 1-4 and the SSIM mean at scale 5,
    # each exactly as structural_similarity above (scipy's Gaussian filter, reflect, 5 cropped),
    # raised to the weights below and multiplied; 2 x 2 average pooling between scales.
    from scipy.ndimage import gaussian_filter
    blur = lambda a: gaussian_filter(a, 1.5, truncate=3.5, mode="reflect")
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    score = 1.0
    for j, beta in enumerate(MS_SSIM_WEIGHTS):
        ux, uy = blur(x), blur(y)
        vx, vy, vxy = blur(x * x) - ux * ux, blur(y * y) - uy * uy, blur(x * y) - ux * uy
        cs = (2 * vxy + c2) / (vx + vy + c2)
        sim = (2 * ux * uy + c1) / (ux * ux + uy * uy + c1) * cs
        if j == len(MS_SSIM_WEIGHTS) - 1:
            return score * sim[5:-5, 5:-5].mean() ** beta
        score *= cs[5:-5, 5:-5].mean() ** beta
        h, w = x.shape[0] // 2, x.shape[1] // 2
        x = x[:2 * h, :2 * w].reshape(h, 2, w, 2).mean((1, 3))
        y = y[:2 * h, :2 * w].reshape(h, 2, w, 2).mean((1, 3))


def ms_ssim_torchmetrics(x, y, data_range):
    # A cross-check only: torchmetrics' single-scale SSIM differs from scikit-image's by up to
    # 7e-3 on these images, its MS-SSIM from the one above by under 1e-4.
    t = lambda a: torch.from_numpy(a)[None, None]
    return float(multiscale_structural_similarity_index_measure(
        t(x), t(y), gaussian_kernel=True, sigma=1.5, kernel_size=11, data_range=data_range,
        k1=0.01, k2=0.03, betas=MS_SSIM_WEIGHTS, normalize=None))


def radial_spectrum(x):
    # Of the top-left square crop: |DFT|^2 / n^2, binned by the rounded radius sqrt(u^2 + v^2) of
    # the signed integer frequencies (no ties: u^2 + v^2 is never k^2 + k + 1/4); bins 0 ... n // 2,
    # corners beyond dropped; mean per bin.
    n = min(x.shape)
    x = x[:n, :n]
    power = np.abs(np.fft.fft2(x)) ** 2 / (n * n)
    k = np.fft.fftfreq(n, 1.0 / n)
    radius = np.rint(np.sqrt(k[:, None] ** 2 + k[None, :] ** 2)).astype(int)
    return [float(power[radius == r].mean()) for r in range(n // 2 + 1)]


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
        "msssim": float(ms_ssim(x, y, r)) if min(x.shape) >= 176 else None,
        "msssimTorchmetrics": ms_ssim_torchmetrics(x, y, r) if min(x.shape) >= 176 else None,
        "spectrum": radial_spectrum(x),
    })


def frechet(a, b):
    # pytorch-fid's formula: sample covariances (n - 1), scipy.linalg.sqrtm of the product.
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid(a, b):
    # Unbiased MMD^2 with the polynomial kernel k(x, y) = (x.y / d + 1)^3 over the full sets
    # (clean-fid and torchmetrics average the same estimator over random subsets).
    d = a.shape[1]
    k = lambda p, q: (p @ q.T / d + 1) ** 3
    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
    n, m = len(a), len(b)
    return float((kaa.sum() - np.trace(kaa)) / (n * (n - 1)) + (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
                 - 2 * kab.mean())


frechet_cases = []
for name, n, m, d in [("d8", 300, 250, 8), ("d32", 400, 500, 32)]:
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    a = f32(rng.standard_normal((n, d)) @ mix + 0.3)
    b = f32(1.2 * rng.standard_normal((m, d)) @ (mix + 0.2 * np.eye(d)) - 0.1)
    frechet_cases.append({"name": name, "n": n, "m": m, "d": d,
                          "a": short(a), "b": short(b),
                          "frechet": frechet(a, b), "kid": kid(a, b)})

with open("metrics.json", "w") as f:
    json.dump({"generator": "make_metrics_fixtures.py, scikit-image " + skimage.__version__
               + ", scipy " + scipy.__version__,
               "ssim": cases, "frechet": frechet_cases}, f)
for c in cases:
    print(c["name"], c["ssim"], c["psnr"], c["mse"], c["msssim"], c["msssimTorchmetrics"], c["spectrum"][:3])
for c in frechet_cases:
    print(c["name"], c["frechet"], c["kid"])
