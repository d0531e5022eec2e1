"""Reference values for the DICOM reader, from pydicom 3.0.2.

Run from this folder: python3 make_dicom_fixtures.py > dicom-reference.json
Writes two small derived files from ../../Scans/MR_small.dcm (MIT, pydicom):
  pydicom-implicit-mr.dcm     the same data set, re-encoded as Implicit VR Little Endian
  pydicom-monochrome1-mr.dcm  Photometric Interpretation set to MONOCHROME1 (pixels unchanged)
Expected values are pydicom's apply_modality_lut; for MONOCHROME1, the stored values are first
inverted over BitsStored's range (stored' = min + max - stored), medsynth's documented convention.
"""
import json
import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut
from pydicom.uid import ImplicitVRLittleEndian

DATA = "../../Scans/"

mr = pydicom.dcmread(DATA + "MR_small.dcm")
mr.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
mr.save_as("pydicom-implicit-mr.dcm", enforce_file_format=True)
mr = pydicom.dcmread(DATA + "MR_small.dcm")
mr.PhotometricInterpretation = "MONOCHROME1"
mr.save_as("pydicom-monochrome1-mr.dcm", enforce_file_format=True)

out = {}
for path, name in [(DATA + "MR_small.dcm", "MR_small.dcm"), (DATA + "CT_small.dcm", "CT_small.dcm"),
                   ("pydicom-implicit-mr.dcm", "pydicom-implicit-mr.dcm"),
                   ("pydicom-monochrome1-mr.dcm", "pydicom-monochrome1-mr.dcm")]:
    ds = pydicom.dcmread(path)
    stored = ds.pixel_array.astype(np.int64)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        signed = ds.PixelRepresentation == 1
        low = -(1 << (ds.BitsStored - 1)) if signed else 0
        high = (1 << (ds.BitsStored - 1)) - 1 if signed else (1 << ds.BitsStored) - 1
        stored = low + high - stored
    values = apply_modality_lut(stored, ds).astype(np.float64)
    rows, columns = values.shape
    picks = [[0, 0], [rows // 2, columns // 2], [rows // 3, 2 * columns // 3], [rows - 1, columns - 1], [7, 11]]
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
print(json.dumps(out, indent=1))
