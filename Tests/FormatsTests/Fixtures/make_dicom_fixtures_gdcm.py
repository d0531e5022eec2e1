"""Fixtures for medsynth's DICOM reader through GDCM, made with pydicom 3.0.2 (see make_dicom_sweep.py
for how each reference is computed). Run from this folder: python3 make_dicom_fixtures_gdcm.py

dicom-codecs/          small files of pydicom's test set (MIT licence; see dicom-codecs/README.md),
                       one or two per transfer syntax and colour model, copied as they are
dicom-codecs.json      for each: the shape and the SHA-256 of the little-endian float32 values
                       medsynth must produce (with their sum, min and max, to say how they differ)
dicom-series/          a synthetic CT series written here: 7 slices of 12 x 10, oblique (row
                       direction (cos 30, sin 30, 0), column direction (0, 0, -1)), 2.5 mm apart
                       along the normal while Slice Thickness says 3.0, first pixel positions in
                       LPS mm; files named at random and Instance Numbers reversed against the
                       positions, so only the positions give the order; odd slices stored with
                       rescale slope 2 and intercept -2048, even ones with 1 and -1024 (the same
                       modality values; a window of 40 / 400); slices 2 and 5 RLE Lossless, slice 4 Implicit VR, the rest
                       Explicit VR Little Endian
  shuffled/            the series
  gap/                 the series without its fourth slice (in position order)
  two/                 the series and a second one of two slices (Series Number 9)
dicom-series.json      the volume in position order, spacing, affine (RAS, as nibabel's) and axis codes
"""
import hashlib
import json
import os
import shutil

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless, generate_uid

from make_dicom_sweep import reference, test_files, store

uid_count = 0


def uid():
    """A UID derived from a counter, so that the fixtures are the same at every run."""
    global uid_count
    uid_count += 1
    return generate_uid(entropy_srcs=["medsynth DICOM fixture", str(uid_count)])

CODECS = [
    ("pydicom", "JPEGLSNearLossless_08.dcm"), ("pydicom", "SC_rgb_jls_lossy_line.dcm"),
    ("pydicom", "SC_rgb_small_odd_big_endian.dcm"), ("pydicom", "rtdose_1frame.dcm"), ("pydicom", "SC_rgb_rle.dcm"),
    ("pydicom", "rtdose_expb_1frame.dcm"), ("pydicom", "SC_rgb_small_odd_jpeg.dcm"), ("pydicom", "rtdose_rle_1frame.dcm"),
    ("pydicom", "SC_rgb_gdcm_KY.dcm"), ("pydicom", "SC_rgb_dcmtk_+eb+cy+s2.dcm"), ("pydicom", "JPEG2000.dcm"),
    ("pydicom", "image_dfl.dcm"), ("pydicom", "SC_rgb_jpeg_gdcm.dcm"), ("pydicom", "MR_small_jp2klossless.dcm"),
    ("pydicom", "MR_small_jpeg_ls_lossless.dcm"), ("pydicom", "SC_ybr_full_422_uncompressed.dcm"),
    ("pydicom", "MR_small_bigendian.dcm"), ("pydicom", "MR_small_RLE.dcm"), ("pydicom", "rtdose_expb.dcm"),
    ("pydicom", "liver_1frame.dcm"), ("pydicom", "SC_rgb_rle_16bit.dcm"), ("pydicom-data", "OBXXXX1A_rle.dcm"),
]

os.makedirs("dicom-codecs", exist_ok=True)
codecs = {}
for source, name in CODECS:
    origin = os.path.join(test_files if source == "pydicom" else store, name)
    target = f"{source}-{name}"
    shutil.copyfile(origin, os.path.join("dicom-codecs", target))
    ds = pydicom.dcmread(origin)
    values, decoder, _ = reference(ds)
    f32 = values.astype("<f4")
    codecs[target] = {"shape": list(values.shape), "sha256": hashlib.sha256(f32.tobytes()).hexdigest(),
                      "sum": float(f32.astype(np.float64).sum()), "min": float(f32.min()), "max": float(f32.max()),
                      "transferSyntax": str(ds.file_meta.TransferSyntaxUID), "photometric": str(ds.PhotometricInterpretation),
                      "decoder": decoder}
with open("dicom-codecs.json", "w") as f:
    json.dump(codecs, f, indent=1, sort_keys=True)

# The synthetic series.
rng = np.random.default_rng(21)
row, column = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6), 0.0]), np.array([0.0, 0.0, -1.0])
normal = np.cross(row, column)
origin = np.array([-40.0, 12.5, 80.0])
spacing, pixel_spacing = 2.5, [0.7, 0.9]
rows, columns, count = 12, 10, 7
study, series, frame = uid(), uid(), uid()
modality_values = [(rng.integers(-1000, 1500, size=(rows, columns)) + 100 * k).astype(np.int64) for k in range(count)]


def write_slice(folder, k, series_uid, series_number, syntax, name):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "CT"
    ds.PatientID = "PHANTOM"
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series_uid, frame
    ds.SeriesNumber = series_number
    ds.SeriesDescription = "oblique phantom" if series_number == 3 else "scout"
    ds.InstanceNumber = count - k
    ds.ImageOrientationPatient = [f"{v:.7f}".rstrip("0").rstrip(".") if v else "0" for v in list(row) + list(column)]
    ds.ImagePositionPatient = [f"{v:.4f}" for v in origin + k * spacing * normal]
    ds.PixelSpacing = pixel_spacing
    ds.SliceThickness = "3.0"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    slope, intercept = (2, -2048) if k % 2 else (1, -1024)
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    ds.WindowCenter, ds.WindowWidth = 40, 400
    stored = (modality_values[k] - intercept) // slope
    assert ((stored * slope + intercept) == modality_values[k] - (modality_values[k] - intercept) % slope).all()
    ds.PixelData = stored.astype("<i2").tobytes()
    if syntax == RLELossless:
        ds.compress(RLELossless, encoding_plugin="pydicom")
    elif syntax == ImplicitVRLittleEndian:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.save_as(os.path.join(folder, name), enforce_file_format=True)
    return (stored * slope + intercept)


shutil.rmtree("dicom-series", ignore_errors=True)
names = [f"{rng.integers(1 << 40):010x}" for _ in range(count)]
expected = []
for folder, skip in [("shuffled", None), ("gap", 3), ("two", None)]:
    os.makedirs(f"dicom-series/{folder}")
    for k in range(count):
        if k == skip:
            continue
        syntax = RLELossless if k in (2, 5) else ImplicitVRLittleEndian if k == 4 else ExplicitVRLittleEndian
        values = write_slice(f"dicom-series/{folder}", k, series, 3, syntax, names[k])
        if folder == "shuffled":
            expected.append(values)
second = uid()
for k in range(2):
    write_slice("dicom-series/two", k, second, 9, ExplicitVRLittleEndian, f"scout{k}")

volume = np.stack(expected).astype(np.float64)
lps = np.column_stack([row * pixel_spacing[1], column * pixel_spacing[0], normal * spacing, origin])
affine = np.vstack([np.diag([-1, -1, 1]) @ lps, [0, 0, 0, 1]])
codes = "".join(("RAS"[a] if affine[a, c] > 0 else "LPI"[a]) for c in range(3) for a in [int(np.argmax(np.abs(affine[:3, c])))])
with open("dicom-series.json", "w") as f:
    json.dump({"shape": list(volume.shape), "values": volume.reshape(-1).tolist(), "spacing": [spacing] + pixel_spacing,
               "affine": affine.tolist(), "orientation": codes, "seriesInstanceUID": series, "secondSeriesInstanceUID": second,
               "files": [names[k] for k in range(count)]}, f, indent=1)
print("codecs:", len(codecs), "series volume", volume.shape, codes)

# A synthetic enhanced CT (one multi-frame file): 5 frames of 8 x 6, their Plane Positions in the
# Per-frame Functional Groups shuffled against the frame order, 1.25 mm apart along the normal
# of an axial-oblique plane; orientation, pixel spacing (0.5, 0.6) and the rescale (slope 1,
# intercept -1024) only in the Shared Functional Groups.
frames, frame_rows, frame_columns, frame_spacing = 5, 8, 6, 1.25
e_row, e_column = np.array([1.0, 0.0, 0.0]), np.array([0.0, np.cos(0.2), -np.sin(0.2)])
e_normal = np.cross(e_row, e_column)
e_origin = np.array([10.0, -20.0, 30.0])
slots = [3, 0, 4, 1, 2]   # frame f lies at position slots[f] along the normal
stored = rng.integers(0, 3000, size=(frames, frame_rows, frame_columns)).astype(np.uint16)
ds = Dataset()
ds.file_meta = FileMetaDataset()
ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
ds.file_meta.MediaStorageSOPInstanceUID = uid()
ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds.SOPClassUID, ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID
ds.Modality, ds.PatientID = "CT", "PHANTOM"
ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SeriesNumber = uid(), uid(), 5
ds.NumberOfFrames = frames
ds.Rows, ds.Columns = frame_rows, frame_columns
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
shared = Dataset()
orientation = Dataset()
orientation.ImageOrientationPatient = [f"{v:.6f}" for v in list(e_row) + list(e_column)]
measures = Dataset()
measures.PixelSpacing = [0.5, 0.6]
measures.SliceThickness = "1.0"
transformation = Dataset()
transformation.RescaleSlope, transformation.RescaleIntercept, transformation.RescaleType = 1, -1024, "HU"
shared.PlaneOrientationSequence = [orientation]
shared.PixelMeasuresSequence = [measures]
shared.PixelValueTransformationSequence = [transformation]
ds.SharedFunctionalGroupsSequence = [shared]
per_frame = []
for f in range(frames):
    item, position = Dataset(), Dataset()
    position.ImagePositionPatient = [f"{v:.4f}" for v in e_origin + slots[f] * frame_spacing * e_normal]
    item.PlanePositionSequence = [position]
    per_frame.append(item)
ds.PerFrameFunctionalGroupsSequence = per_frame
ds.PixelData = stored.astype("<u2").tobytes()
os.makedirs("dicom-enhanced", exist_ok=True)
ds.save_as("dicom-enhanced/enhanced-ct.dcm", enforce_file_format=True)
order = sorted(range(frames), key=lambda f: slots[f])
e_values = (stored[order].astype(np.float64) - 1024)
e_lps = np.column_stack([e_row * 0.6, e_column * 0.5, e_normal * frame_spacing, e_origin])
e_affine = np.vstack([np.diag([-1, -1, 1]) @ e_lps, [0, 0, 0, 1]])
with open("dicom-enhanced.json", "w") as f:
    json.dump({"shape": list(e_values.shape), "values": e_values.reshape(-1).tolist(), "order": order,
               "spacing": [frame_spacing, 0.5, 0.6], "affine": e_affine.tolist()}, f, indent=1)
print("enhanced", e_values.shape, "frame order", order)
