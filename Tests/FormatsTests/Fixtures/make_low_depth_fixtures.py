"""PNGs of fewer than 8 bits per sample, written by Pillow, for the PNG reader's bit depth and
for `load`'s scaling to 0...1 (tests in PNGTests.swift and FormatRegistryTests.swift).

Run from this folder: python3 make_low_depth_fixtures.py
Prints each file's IHDR bit depth and colour type and the values Pillow reads back; the tests
repeat them.
"""
import numpy as np
from PIL import Image

# 1-bit grey (colour type 0, depth 1): a 3x5 checkerboard; Pillow reads it back as 0 and 255.
bits = (np.indices((3, 5)).sum(axis=0) % 2).astype(bool)
Image.fromarray(bits).save("pillow-grey1.png")

# A 2-bit palette (colour type 3, depth 2) of four greys: 0, 85, 170, 255.
indices = np.array([[0, 1, 2, 3, 0], [3, 2, 1, 0, 1], [2, 2, 3, 3, 0]], dtype=np.uint8)
palette = Image.fromarray(indices, mode="P")
palette.putpalette([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255])
palette.save("pillow-palette2.png", bits=2)

for name in ["pillow-grey1.png", "pillow-palette2.png"]:
    raw = open(name, "rb").read()
    print(name, "depth", raw[24], "colour type", raw[25])
    print(np.asarray(Image.open(name).convert("L")).astype(int).tolist())
