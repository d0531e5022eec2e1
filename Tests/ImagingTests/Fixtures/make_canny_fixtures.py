"""Reference edge maps for CannyTests, computed once with scikit-image and committed.

Run from this folder, after writing two phantom subjects as an ACDC-style folder with
    medsynth phantom --size 128 --count 2 --seed 1 --acdc /tmp/phantom-acdc
as: python3 make_canny_fixtures.py  (writes canny_reference.json)
Versions used are recorded in the file. Each image is given to skimage.feature.canny as float64
holding exactly the Float32 values the Swift test builds, so both sides see the same input.
Edges are stored as the flat row-major indices of the True pixels.
"""
import json
import nibabel
import numpy as np
import scipy
import skimage
from PIL import Image
from skimage.feature import canny

images = {}

# The real scan: 8-bit grey, stored as integers; both sides use Float32(v) / 255.
fat = np.array(Image.open("../../Scans/FatMRISlice.png"))
fat_values = fat.astype(np.float32) / np.float32(255)
images["fat_mri"] = {"height": fat.shape[0], "width": fat.shape[1], "bytes": fat.ravel().tolist()}

# A bright disc on a dark background with Gaussian noise.
rng = np.random.default_rng(4)
h = w = 96
yy, xx = np.mgrid[0:h, 0:w]
disc = ((yy - 45.3) ** 2 + (xx - 50.7) ** 2 < 28.0 ** 2).astype(np.float64) * 0.6 + 0.2
disc = (disc + 0.08 * rng.standard_normal((h, w))).astype(np.float32)
images["noisy_disc"] = {"height": h, "width": w, "values": [float(v) for v in disc.ravel()]}

# A square whose brightness ramps from left to right, on a background ramping top to bottom.
h = w = 80
yy, xx = np.mgrid[0:h, 0:w]
square = (yy / (h - 1) * 0.3).astype(np.float64)
inside = (yy >= 20) & (yy < 60) & (xx >= 15) & (xx < 65)
square[inside] = 0.4 + 0.5 * (xx[inside] - 15) / 49.0
square = square.astype(np.float32)
images["gradient_square"] = {"height": h, "width": w, "values": [float(v) for v in square.ravel()]}

arrays = {"fat_mri": fat_values, "noisy_disc": disc, "gradient_square": square}

# Two phantom slices (end-diastole of subject 0, end-systole of subject 1), read from the
# float32 NIfTI files medsynth wrote; nibabel's [x, y, z] transposed is the row-major [y, x].
for name, path in [("phantom_ed", "/tmp/phantom-acdc/patient001/patient001_frame01.nii.gz"),
                   ("phantom_es", "/tmp/phantom-acdc/patient002/patient002_frame12.nii.gz")]:
    slice_ = np.asarray(nibabel.load(path).dataobj, dtype=np.float32)[:, :, 0].T.copy()
    arrays[name] = slice_
    images[name] = {"height": slice_.shape[0], "width": slice_.shape[1], "values": [float(v) for v in slice_.ravel()]}

cases = [
    ("fat_mri", 1.0, 0.05, 0.15, False),
    ("fat_mri", 2.0, 0.8, 0.9, True),
    ("fat_mri", 3.0, 0.02, 0.06, False),
    ("fat_mri", 1.5, 0.7, 0.95, True),
    ("noisy_disc", 1.0, 0.1, 0.3, False),
    ("noisy_disc", 2.0, 0.85, 0.95, True),
    ("noisy_disc", 3.0, 0.05, 0.2, False),
    ("gradient_square", 1.0, 0.05, 0.2, False),
    ("gradient_square", 2.5, 0.9, 0.97, True),
    ("gradient_square", 1.5, 0.0, 0.1, False),
    ("phantom_ed", 1.0, 0.05, 0.15, False),
    ("phantom_ed", 1.5, 0.85, 0.95, True),
    ("phantom_es", 2.0, 0.8, 0.9, True),
]

out_cases = []
for name, sigma, low, high, quantiles in cases:
    edges = canny(arrays[name].astype(np.float64), sigma=sigma, low_threshold=low,
                  high_threshold=high, use_quantiles=quantiles)
    out_cases.append({"image": name, "sigma": sigma, "low": low, "high": high,
                      "useQuantiles": quantiles,
                      "edges": np.flatnonzero(edges.ravel()).tolist()})
    print(name, sigma, low, high, quantiles, int(edges.sum()))

with open("canny_reference.json", "w") as f:
    json.dump({"versions": {"scikit-image": skimage.__version__, "scipy": scipy.__version__,
                            "numpy": np.__version__},
               "images": images, "cases": out_cases}, f, separators=(",", ":"))
