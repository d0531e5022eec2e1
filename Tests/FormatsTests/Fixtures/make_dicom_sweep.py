"""The reference for medsynth's DICOM reader over pydicom's and pydicom-data's test files.

Run: python3 make_dicom_sweep.py OUT   (pydicom 3, pydicom-data, python-gdcm, pylibjpeg with its
libjpeg, openjpeg and rle plugins installed; scripts/dicom-sweep.sh does it all)

For every file of pydicom's data/test_files (with its subfolders) and of pydicom-data's data store,
pydicom reads it (dcmread, no force) and decodes its pixels, with the GDCM plugin where one is
needed (pydicom's own decoders for what GDCM does not take: RLE and 12-bit JPEG extended go to
pydicom's RLE decoder and pylibjpeg). OUT/manifest.json lists each file with the outcome, and for
each decoded one OUT/<n>.f32 holds the values medsynth must produce, as little-endian float32:

  greyscale  [F, H, W]: the stored values; MONOCHROME1 inverted over Bits Stored's range
             (min + max - stored); then pydicom's apply_modality_lut (the Modality LUT Sequence,
             or the rescale); an enhanced image without a top-level rescale takes the Pixel Value
             Transformation functional group (shared, else the first frame's). Frames of an
             enhanced image whose per-frame Plane Positions form one evenly spaced stack are
             sorted along the slice normal (Image Orientation's row x column).
  colour     [3, H, W], or [F, 3, H, W]: pydicom's RGB (YBR converted by pydicom or the codec;
             PALETTE COLOR through apply_color_lut). pydicom 3.0.2 reads a big-endian file's
             16-bit palette tables in the machine's byte order (np.frombuffer), which swaps their
             bytes; the tables are swapped to little endian first, so that OBXXXX1A_expb.dcm
             gives the colours of OBXXXX1A.dcm.
"""
import glob
import json
import os
import sys

import numpy as np
import pydicom
from pydicom.pixels import apply_color_lut, apply_modality_lut, pixel_array

test_files = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
import data_store
store = os.path.join(os.path.dirname(data_store.__file__), "data")
paths = sorted(glob.glob(test_files + "/**/*", recursive=True)) + sorted(glob.glob(store + "/*"))
skip = (".txt", ".py", ".pyc", ".icc", ".dump", ".json", ".gz", ".bz2", ".xz", ".zip")
paths = [p for p in paths if os.path.isfile(p) and not p.endswith(skip)]
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91"}


def sequence_value(ds, groups, sequence, keyword):
    for group in groups:
        items = ds.get(group)
        if items and sequence in items[0] and keyword in items[0][sequence][0]:
            return getattr(getattr(items[0], sequence)[0], keyword)
    return None


def frame_order(ds, frames):
    """The order along the normal of an enhanced image's frames, or None to keep the file's."""
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if frames < 2 or not per_frame or len(per_frame) != frames:
        return None
    try:
        positions = np.array([[float(v) for v in f.PlanePositionSequence[0].ImagePositionPatient] for f in per_frame])
    except (AttributeError, IndexError):
        return None
    orientation = sequence_value(ds, ["SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"],
                                 "PlaneOrientationSequence", "ImageOrientationPatient")
    if orientation is None:
        return None
    orientation = [float(v) for v in orientation]
    normal = np.cross(orientation[:3], orientation[3:])
    distance = positions @ normal
    order = sorted(range(frames), key=lambda i: (distance[i], i))
    gaps = np.diff(distance[order])
    median = np.sort(gaps)[len(gaps) // 2]
    if (gaps < 1e-3).any() or (np.abs(gaps - median) > max(0.01 * median, 1e-3)).any():
        return None
    return order


def reference(ds):
    """pydicom's decoding of `ds` as medsynth must give it: (values, decoder, sorted), or raises."""
    try:
        arr = pixel_array(ds, decoding_plugin="gdcm")
        decoder = "gdcm"
    except Exception as error:
        if "gdcm" not in str(error).lower():
            raise
        arr = pixel_array(ds)
        decoder = "pydicom"
    photometric = str(ds.PhotometricInterpretation)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if photometric in ("MONOCHROME1", "MONOCHROME2"):
        stored = arr.astype(np.int64)
        if photometric == "MONOCHROME1":
            signed = ds.PixelRepresentation == 1
            low = -(1 << (ds.BitsStored - 1)) if signed else 0
            high = (1 << (ds.BitsStored - 1)) - 1 if signed else (1 << ds.BitsStored) - 1
            stored = low + high - stored
        if "ModalityLUTSequence" not in ds and "RescaleSlope" not in ds and "RescaleIntercept" not in ds:
            groups = ["SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"]
            slope = sequence_value(ds, groups, "PixelValueTransformationSequence", "RescaleSlope")
            intercept = sequence_value(ds, groups, "PixelValueTransformationSequence", "RescaleIntercept")
            values = stored.astype(np.float64) * float(slope if slope is not None else 1) + float(intercept if intercept is not None else 0)
        else:
            values = apply_modality_lut(stored, ds).astype(np.float64)
        values = values.reshape(frames, ds.Rows, ds.Columns)
    else:
        if photometric == "PALETTE COLOR" and not ds.file_meta.TransferSyntaxUID.is_little_endian:
            for colour in ("Red", "Green", "Blue"):
                keyword = f"{colour}PaletteColorLookupTableData"
                if keyword in ds and len(ds[keyword].value) == 2 * (ds.RedPaletteColorLookupTableDescriptor[0] or 65536):
                    ds[keyword].value = np.frombuffer(ds[keyword].value, ">u2").astype("<u2").tobytes()
        rgb = apply_color_lut(arr, ds) if photometric == "PALETTE COLOR" else arr
        rgb = rgb.reshape(frames, ds.Rows, ds.Columns, 3).transpose(0, 3, 1, 2).astype(np.float64)
        values = rgb[0] if frames == 1 else rgb
    order = frame_order(ds, frames)
    if order is not None:
        values = values[order]
    return values, decoder, order is not None


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    manifest = []
    for index, path in enumerate(paths):
        name = os.path.relpath(path, test_files if path.startswith(test_files) else store)
        entry = {"file": ("pydicom/" if path.startswith(test_files) else "pydicom-data/") + name}
        manifest.append(entry)
        try:
            ds = pydicom.dcmread(path)
        except Exception as error:
            entry.update(status="unreadable", reason=f"{type(error).__name__}: {error}"[:160])
            continue
        if "PixelData" not in ds:
            entry.update(status="no pixels", reason="no Pixel Data (7FE0,0010): " + str(ds.get("Modality", ds.get("DirectoryRecordSequence") and "DICOMDIR" or "?")))
            continue
        syntax = str(ds.file_meta.get("TransferSyntaxUID", ""))
        try:
            values, decoder, was_sorted = reference(ds)
        except Exception as error:
            entry.update(status="undecodable", transferSyntax=syntax, reason=f"{type(error).__name__}: {error}"[:200].replace("\n", " "))
            continue
        photometric = str(ds.PhotometricInterpretation)
        values.astype("<f4").tofile(os.path.join(out, f"{index}.f32"))
        entry.update(status="decoded", reference=f"{index}.f32", shape=list(values.shape), transferSyntax=syntax,
                     lossy=syntax in LOSSY, photometric=photometric, decoder=decoder, sorted=was_sorted)

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"pydicom": pydicom.__version__, "roots": {"pydicom": test_files, "pydicom-data": store}, "files": manifest}, f, indent=1)
    from collections import Counter
    print(Counter(e["status"] for e in manifest), file=sys.stderr)


if __name__ == "__main__":
    main()
