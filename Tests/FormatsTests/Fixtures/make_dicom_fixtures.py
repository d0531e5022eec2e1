"""Reference values for the DICOM reader, from pydicom 3.0.2.

Run from this folder: python3 make_dicom_fixtures.py > dicom-reference.json
Writes two small derived files from ../../Scans/MR_small.dcm (MIT, pydicom):
  pydicom-implicit-mr.dcm     the same data set, re-encoded as Implicit VR Little Endian
  pydicom-monochrome1-mr.dcm  Photometric Interpretation set to MONOCHROME1 (pixels unchanged)
and one from pydicom-data 1.0.0's mlut_18.dcm (MIT, pydicom-data; an IHE MESA display test image made by
OFFIS), found with pydicom.data.get_testdata_file (installed pydicom-data, else downloaded):
  pydicom-mlut_18-cropped.dcm rows 384-511 of its 512 x 512 (the whole file, 533 KB, is too big to keep
                              here), everything else unchanged: 12 bits stored in 16, signed, a Modality
                              LUT Sequence (LUT Descriptor 4096, -2048, 16; LUT Data US), no rescale.
                              The stored words are copied as they are: negative values have bits 12-15
                              clear (-1 is 0x0FFF, -2048 0x0800) except in the last row's ramp
                              (-2048 to -8 in steps of 8 in columns 0-255), where they are set (0xF800).
Expected values are pydicom's apply_modality_lut; for MONOCHROME1, the stored values are first
inverted over BitsStored's range (stored' = min + max - stored), medsynth's documented convention.
With a Modality LUT Sequence, pydicom's output is uint8 or uint16 (the LUT Descriptor's third value): the
entry also records that dtype and the descriptor, and picks the first 16 pixels and the first 16 of the
centre row besides the usual five.
"""
import json
import numpy as np
import pydicom
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut
from pydicom.uid import ImplicitVRLittleEndian

DATA = "../../Scans/"

mr = pydicom.dcmread(DATA + "MR_small.dcm")
mr.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
mr.save_as("pydicom-implicit-mr.dcm", enforce_file_format=True)
mr = pydicom.dcmread(DATA + "MR_small.dcm")
mr.PhotometricInterpretation = "MONOCHROME1"
mr.save_as("pydicom-monochrome1-mr.dcm", enforce_file_format=True)
mlut = pydicom.dcmread(get_testdata_file("mlut_18.dcm"))
assert (mlut.Rows, mlut.Columns, mlut.BitsAllocated) == (512, 512, 16) and len(mlut.PixelData) == 512 * 512 * 2
mlut.PixelData = mlut.PixelData[384 * 512 * 2:]
mlut.Rows = 128
mlut.save_as("pydicom-mlut_18-cropped.dcm", enforce_file_format=True)

out = {}
for path, name in [(DATA + "MR_small.dcm", "MR_small.dcm"), (DATA + "CT_small.dcm", "CT_small.dcm"),
                   ("pydicom-implicit-mr.dcm", "pydicom-implicit-mr.dcm"),
                   ("pydicom-monochrome1-mr.dcm", "pydicom-monochrome1-mr.dcm"),
                   ("pydicom-mlut_18-cropped.dcm", "pydicom-mlut_18-cropped.dcm")]:
    ds = pydicom.dcmread(path)
    stored = ds.pixel_array.astype(np.int64)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        signed = ds.PixelRepresentation == 1
        low = -(1 << (ds.BitsStored - 1)) if signed else 0
        high = (1 << (ds.BitsStored - 1)) - 1 if signed else (1 << ds.BitsStored) - 1
        stored = low + high - stored
    mapped = apply_modality_lut(stored, ds)
    values = mapped.astype(np.float64)
    rows, columns = values.shape
    picks = [[0, 0], [rows // 2, columns // 2], [rows // 3, 2 * columns // 3], [rows - 1, columns - 1], [7, 11]]
    lut = ds.get("ModalityLUTSequence")
    if lut:
        picks += [[0, c] for c in range(16)] + [[rows // 2, c] for c in range(16)]
        picks = [p for i, p in enumerate(picks) if p not in picks[:i]]
    out[name] = {
        "transferSyntax": str(ds.file_meta.TransferSyntaxUID),
        "shape": [1, rows, columns],
        "bitsAllocated": int(ds.BitsAllocated),
        "bitsStored": int(ds.BitsStored),
        "pixelRepresentation": int(ds.PixelRepresentation),
        "photometric": str(ds.PhotometricInterpretation),
        "rescaleSlope": float(ds.get("RescaleSlope", 1)),
        "rescaleIntercept": float(ds.get("RescaleIntercept", 0)),
        "sum": float(values.sum()),
        "min": float(values.min()),
        "max": float(values.max()),
        "pixels": [{"index": p, "value": float(values[tuple(p)])} for p in picks],
    }
    if lut:
        out[name]["modalityLutDescriptor"] = [int(v) for v in lut[0].LUTDescriptor]
        out[name]["dtype"] = str(mapped.dtype)
print(json.dumps(out, indent=1))
