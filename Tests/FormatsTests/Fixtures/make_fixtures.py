#!/usr/bin/env python3
"""Makes the small HDF5 and safetensors files FormatsTests reads, with libraries other than
medsynth's own code (h5py 3 and safetensors 0.8, numpy 2), so the tests check medsynth against
independent writers. The tests need only the committed files, not Python.

Run from anywhere: python3 Tests/FormatsTests/Fixtures/make_fixtures.py
The expected values are repeated in FormatsTests/ForeignFileTests.swift; change both together.
"""
import os

import h5py
import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def make_hdf5():
    # h5py's default (earliest) file format: version-0 superblock, no metadata checksums,
    # contiguous datasets; the kind of file most tools write.
    with h5py.File(os.path.join(HERE, "h5py-types.h5"), "w") as f:
        f["float32"] = np.array([1.5, -2.25, 3.0e38, np.inf], dtype="<f4")
        f["float64"] = np.array([[0.1, -1e300], [2.0 ** -30, 7.0]], dtype="<f8")
        f["int8"] = np.array([-128, -1, 0, 127], dtype="i1")
        f["int16"] = np.array([-32768, 12345, 32767], dtype="<i2")
        f["int32"] = np.array([-2147483648, 16777216, 16777217, 2147483647], dtype="<i4")
        f["int64"] = np.array([-(2 ** 40), 5], dtype="<i8")
        f["uint8"] = np.array([0, 200, 255], dtype="u1")
        f["uint16"] = np.array([0, 40000, 65535], dtype="<u2")
        f["uint32"] = np.array([4000000000], dtype="<u4")
        f["big-endian/float32"] = np.array([1.0, -0.5, 1024.25], dtype=">f4")
        f["big-endian/int16"] = np.array([-2, 258, 30000], dtype=">i2")
        f["scalar"] = np.float64(6.5)
        # volume[i, j, k] = 100 i + 10 j + k, for hyperslab reads checked by hand.
        i, j, k = np.meshgrid(np.arange(4), np.arange(5), np.arange(6), indexing="ij")
        f.create_dataset("nested/deeper/volume", data=(100 * i + 10 * j + k).astype("<i4"), chunks=(2, 2, 3))
        f["booleans"] = np.array([True, False])
        f["text"] = "not numbers"
        f.attrs["title"] = "variable-length ünïcode"
        f.attrs["fixed"] = np.bytes_(b"fixed bytes")
        f.attrs["count"] = np.int32(-7)
        f.attrs["ratio"] = np.float32(0.5)
        f.attrs["ints"] = np.array([1, -2, 3], dtype="<i2")
        f.attrs["floats"] = np.array([0.25, -1e-300], dtype="<f8")
        f.attrs["huge"] = np.uint64(2 ** 63)
        f["nested"].attrs["level"] = np.uint8(1)


def make_cyclic_checkpoint():
    # A checkpoint whose /parameters group holds a hard link to itself, as a damaged file
    # might: a walk that follows every group would never end.
    with h5py.File(os.path.join(HERE, "cyclic-checkpoint.h5"), "w") as f:
        f["parameters/w"] = np.array([1.0, 2.0], dtype="<f4")
        f["parameters/w"].attrs["index"] = np.int64(0)
        f["parameters/deeper/again"] = f["parameters"]


def make_safetensors():
    # safetensors sorts tensors by dtype alignment then name when it lays them out.
    tensors = {
        "f16": np.array([1.0, -2.0, 0.5, 65504.0, 2.0 ** -24], dtype="<f2"),
        "f64": np.array([[1.0 / 3.0, -1e300]], dtype="<f8"),
        "i64": np.array([-(2 ** 40), 9], dtype="<i8"),
        "i32": np.array([16777217, -5], dtype="<i4"),
        "i16": np.array([-32768, 32767], dtype="<i2"),
        "i8": np.array([-128, 127], dtype="i1"),
        "u8": np.array([0, 255], dtype="u1"),
        "f32": np.arange(6, dtype="<f4").reshape(2, 3) - 2.5,
        "empty": np.zeros((0, 3), dtype="<f4"),
        "scalar": np.array(4.0, dtype="<f4"),
    }
    save_file(tensors, os.path.join(HERE, "numpy.safetensors"), metadata={"source": "numpy", "note": "fixture"})


if __name__ == "__main__":
    make_hdf5()
    make_cyclic_checkpoint()
    make_safetensors()
