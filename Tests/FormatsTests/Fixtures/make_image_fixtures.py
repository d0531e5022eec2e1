"""Reference values for the PNG and NIfTI readers, from independent readers (Pillow 13, nibabel 5.4).

Run from this folder: python3 make_image_fixtures.py > image-formats-reference.json
Reads the real scans in Tests/Scans. Sums are in float64.
"""
import json
import numpy as np
import nibabel as nib
from PIL import Image

DATA = "../../Scans/"
out = {}

# FatMRISlice.png is a palette PNG whose palette is all greys: the grey value is the RGB of the
# palette entry, which Pillow's convert("RGB") expands.
rgb = np.asarray(Image.open(DATA + "FatMRISlice.png").convert("RGB")).astype(np.int64)
assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
grey = rgb[..., 0]
picks = [[0, 0], [128, 128], [100, 200], [255, 255], [37, 191], [60, 30]]
out["FatMRISlice.png"] = {
    "shape": list(grey.shape),
    "sum": int(grey.sum()),
    "max": int(grey.max()),
    "rowSums": {str(r): int(grey[r].sum()) for r in (0, 64, 128, 200, 255)},
    "pixels": [{"index": p, "value": int(grey[tuple(p)])} for p in picks],
}

# Small PNGs written by Pillow, one per layout the reader handles; each value is recorded.
rng = np.random.default_rng(7)
layouts = {
    "pillow-grey16.png": (rng.integers(0, 65536, size=(3, 5)).astype(np.uint16), "I;16"),
    "pillow-rgb8.png": (rng.integers(0, 256, size=(3, 5, 3)).astype(np.uint8), "RGB"),
    "pillow-rgba8.png": (rng.integers(0, 256, size=(3, 5, 4)).astype(np.uint8), "RGBA"),
    "pillow-greyalpha8.png": (rng.integers(0, 256, size=(3, 5, 2)).astype(np.uint8), "LA"),
}
for name, (values, mode) in layouts.items():
    image = Image.fromarray(values)
    assert image.mode == mode, (name, image.mode)
    image.save(name)
    back = np.asarray(Image.open(name)).astype(np.int64)
    assert (back == values).all(), name
    planes = back[None] if back.ndim == 2 else back.transpose(2, 0, 1)  # [C, H, W]
    out[name] = {"shape": list(planes.shape), "values": planes.reshape(-1).tolist()}

for name, picks in [
    ("example4d.nii.gz", [[0, 0, 0, 0], [64, 48, 12, 0], [64, 48, 12, 1], [100, 20, 5, 1], [30, 70, 20, 0]]),
    ("S0_10slices.nii.gz", [[0, 0, 0, 0], [64, 64, 5, 0], [40, 90, 2, 0], [100, 60, 9, 0], [70, 30, 0, 0]]),
]:
    image = nib.load(DATA + name)
    raw = image.header
    data = image.get_fdata()
    out[name] = {
        "shape": list(data.shape),
        "dtype": str(raw.get_data_dtype()),
        "sclSlope": float(image.dataobj.slope),
        "sclInter": float(image.dataobj.inter),
        "pixdim": [float(v) for v in raw["pixdim"][1:len(data.shape) + 1]],
        "voxOffset": int(image.dataobj.offset),
        "sum": float(data.sum()),
        "mean": float(data.mean()),
        "max": float(data.max()),
        "voxels": [{"index": p, "value": float(data[tuple(p)])} for p in picks],
    }

# A small big-endian int16 file with scaling, written by nibabel: value = 2 * stored - 5.
stored = (np.arange(4 * 3 * 2, dtype=np.int16).reshape(4, 3, 2) * 7 - 60)
header = nib.Nifti1Header(endianness=">")
header.set_data_dtype(np.int16)
small = nib.Nifti1Image(stored, np.eye(4), header)
small.header.set_slope_inter(2.0, -5.0)
small.header.set_zooms((1.5, 2.0, 3.0))
nib.save(small, "nibabel-bigendian-scaled.nii")
data = nib.load("nibabel-bigendian-scaled.nii").get_fdata()
out["nibabel-bigendian-scaled.nii"] = {
    "shape": list(data.shape),
    "dtype": ">i2",
    "sclSlope": 2.0,
    "sclInter": -5.0,
    "pixdim": [1.5, 2.0, 3.0],
    "voxOffset": 352,
    "sum": float(data.sum()),
    "mean": float(data.mean()),
    "max": float(data.max()),
    "voxels": [{"index": p, "value": float(data[tuple(p)])} for p in ([0, 0, 0], [3, 2, 1], [1, 2, 0], [2, 0, 1])],
}

print(json.dumps(out, indent=1))
