"""Geometry reference fixtures for the NIfTI and DICOM readers (test fixtures only).

Made with nibabel 5.4.2, pydicom 3.0.2, numpy 2.4.6 (Python 3.11); runtime code never needs them.
Run from anywhere: python3 make_geometry_fixtures.py  (writes next to this file; deterministic:
nibabel writes gzip with mtime 0 and no file name, and every DICOM UID is a fixed string).

Writes:
  sform.nii.gz   float32 (5, 4, 3) = arange(60); sform_code 1 (scanner), qform_code 0.
                 sform = Rz(30 deg) @ diag(0.7, 0.8, 2.5), offset (-10.5, 20.25, 3.0).
  qform.nii.gz   same data; qform_code 1, sform_code 0. qform set from
                 Rx(20 deg) @ diag(-1, 1, 1) @ diag(1.25, 1.5, 3.0), offset (5, -6, 7): the x (left-right)
                 flip makes det < 0, so nibabel stores qfac = pixdim[0] = -1 and negates the third
                 column before taking the quaternion (the stored rotation is a 180-degree one, quatern a = 0).
  both.nii.gz    same data; qform_code 1 from Ry(10 deg) @ diag(1.0, 1.2, 2.0) + (-1, 2, -3) and
                 sform_code 2 (aligned) from Rz(-45 deg) @ diag(0.5, 0.6, 1.5) + (100, -50, 25).
                 img.affine is the sform; pixdim (and so get_zooms) follows the qform.
  none.nii.gz    same data; qform_code 0, sform_code 0, zooms (0.9, 1.1, 2.0) via set_zooms.
                 img.affine is nibabel's fallback (Analyze-style, x flipped, centred), recorded as is.
  geometry.json  per NIfTI file: shape, zooms, affine (img.affine), qform_code, sform_code,
                 qform (get_qform()), sform (get_sform()), pixdim (8 values), and, as extras,
                 quatern [b, c, d], qoffset [x, y, z], srow (3 rows) exactly as stored.
  geometry.dcm   single-frame MR, explicit VR little endian, MONOCHROME2, uint16, 4 rows x 5 columns,
                 pixels arange(20).reshape(4, 5) * 10, PixelSpacing [0.7, 0.8] (row spacing, column
                 spacing), SliceThickness 2.5, IOP [1, 0, 0, 0, 0.8660254, -0.5], IPP [-10.5, 20.25, 3.0].
  geometry-dicom.json  what pydicom reads back from geometry.dcm, plus (under "derived") the
                 DICOM PS3.3 C.7.6.2.1.1 voxel-to-patient (LPS) matrix computed from those values.
"""
import json
import os
import uuid

import nibabel as nib
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (5, 4, 3)
DATA = np.arange(60, dtype=np.float32).reshape(SHAPE)


def rot_x(deg):
    t = np.deg2rad(deg)
    c, s = np.cos(t), np.sin(t)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg):
    t = np.deg2rad(deg)
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(deg):
    t = np.deg2rad(deg)
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def affine(linear, offset):
    a = np.eye(4)
    a[:3, :3] = linear
    a[:3, 3] = offset
    return a


def header(zooms=None):
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(SHAPE)
    hdr.set_data_dtype(np.float32)
    hdr.set_xyzt_units('mm')
    if zooms is not None:
        hdr.set_zooms(zooms)
    return hdr


def save(name, hdr):
    # affine=None: nibabel writes the header's qform/sform exactly as set above.
    img = nib.Nifti1Image(DATA, None, hdr)
    nib.save(img, os.path.join(HERE, name))


def matrix(m):
    return [[float(v) for v in row] for row in np.asarray(m)]


def nifti_fixtures():
    # sform only (scanner), qform_code 0 with the default (zero) quaternion fields.
    hdr = header((0.7, 0.8, 2.5))
    hdr.set_sform(affine(rot_z(30) @ np.diag([0.7, 0.8, 2.5]), [-10.5, 20.25, 3.0]), code='scanner')
    save('sform.nii.gz', hdr)

    # qform only, with a left-right flip (qfac = -1). set_qform also writes pixdim[0..3].
    hdr = header()
    hdr.set_qform(affine(rot_x(20) @ np.diag([-1.0, 1.0, 1.0]) @ np.diag([1.25, 1.5, 3.0]), [5, -6, 7]),
                  code='scanner')
    hdr.set_sform(None, code=0)
    save('qform.nii.gz', hdr)

    # both: qform (scanner) and a different sform (aligned).
    hdr = header()
    hdr.set_qform(affine(rot_y(10) @ np.diag([1.0, 1.2, 2.0]), [-1, 2, -3]), code='scanner')
    hdr.set_sform(affine(rot_z(-45) @ np.diag([0.5, 0.6, 1.5]), [100, -50, 25]), code='aligned')
    save('both.nii.gz', hdr)

    # neither: only zooms.
    hdr = header((0.9, 1.1, 2.0))
    save('none.nii.gz', hdr)

    out = {}
    for name in ['sform.nii.gz', 'qform.nii.gz', 'both.nii.gz', 'none.nii.gz']:
        img = nib.load(os.path.join(HERE, name))
        h = img.header
        assert np.array_equal(np.asanyarray(img.dataobj), DATA)
        out[name] = {
            'shape': [int(n) for n in img.shape],
            'zooms': [float(z) for z in h.get_zooms()],
            'affine': matrix(img.affine),
            'qform_code': int(h['qform_code']),
            'sform_code': int(h['sform_code']),
            'qform': matrix(h.get_qform()),
            'sform': matrix(h.get_sform()),
            'pixdim': [float(v) for v in h['pixdim']],
            'quatern': [float(h['quatern_b']), float(h['quatern_c']), float(h['quatern_d'])],
            'qoffset': [float(h['qoffset_x']), float(h['qoffset_y']), float(h['qoffset_z'])],
            'srow': [[float(v) for v in h['srow_x']], [float(v) for v in h['srow_y']],
                     [float(v) for v in h['srow_z']]],
        }
    with open(os.path.join(HERE, 'geometry.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


def fixed_uid(name):
    """A valid, fixed UID: 2.25 followed by the decimal value of a name-based (v5) UUID."""
    return '2.25.' + str(uuid.uuid5(uuid.NAMESPACE_URL, 'medsynth-test-fixture/' + name).int)


def dicom_fixtures():
    pixels = (np.arange(20).reshape(4, 5) * 10).astype(np.uint16)
    sop_instance = fixed_uid('geometry.dcm/sop-instance')

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = fixed_uid('implementation')
    meta.ImplementationVersionName = 'MEDSYNTH_FIXTURE'

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = 'ISO_IR 100'
    ds.ImageType = ['ORIGINAL', 'PRIMARY', 'OTHER']
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = sop_instance
    ds.StudyDate = '20240101'
    ds.SeriesDate = '20240101'
    ds.StudyTime = '120000'
    ds.AccessionNumber = ''
    ds.Modality = 'MR'
    ds.Manufacturer = 'medsynth test fixture'
    ds.ReferringPhysicianName = ''
    ds.PatientName = 'Fixture^Geometry'
    ds.PatientID = 'GEOMETRY-1'
    ds.PatientBirthDate = ''
    ds.PatientSex = 'O'
    ds.ScanningSequence = 'SE'
    ds.SequenceVariant = 'NONE'
    ds.ScanOptions = ''
    ds.MRAcquisitionType = '2D'
    ds.SliceThickness = '2.5'
    ds.StudyInstanceUID = fixed_uid('geometry.dcm/study')
    ds.SeriesInstanceUID = fixed_uid('geometry.dcm/series')
    ds.StudyID = '1'
    ds.SeriesNumber = '1'
    ds.InstanceNumber = '1'
    ds.ImagePositionPatient = ['-10.5', '20.25', '3.0']
    ds.ImageOrientationPatient = ['1', '0', '0', '0', '0.8660254', '-0.5']
    ds.FrameOfReferenceUID = fixed_uid('geometry.dcm/frame-of-reference')
    ds.PositionReferenceIndicator = ''
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.Rows = 4
    ds.Columns = 5
    ds.PixelSpacing = ['0.7', '0.8']
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = '0'
    ds.RescaleSlope = '1'
    ds.RescaleType = 'US'
    ds.PixelData = pixels.astype('<u2').tobytes()
    ds['PixelData'].VR = 'OW'

    path = os.path.join(HERE, 'geometry.dcm')
    pydicom.dcmwrite(path, ds, enforce_file_format=True)

    with open(path, 'rb') as f:
        raw = f.read()
    assert raw[:128] == bytes(128) and raw[128:132] == b'DICM'

    back = pydicom.dcmread(path)
    array = back.pixel_array
    assert array.dtype == np.uint16 and np.array_equal(array, pixels)
    spacing = [float(v) for v in back.PixelSpacing]
    iop = [float(v) for v in back.ImageOrientationPatient]
    ipp = [float(v) for v in back.ImagePositionPatient]
    row_dir, col_dir = np.array(iop[:3]), np.array(iop[3:])
    # PS3.3 C.7.6.2.1.1: P(c, r) = IPP + row_dir * PixelSpacing[1] * c + col_dir * PixelSpacing[0] * r,
    # c = column index (0..Columns-1), r = row index (0..Rows-1); third column: the normal times
    # SliceThickness (a convention: a single frame has no slice-to-slice vector).
    m = np.eye(4)
    m[:3, 0] = row_dir * spacing[1]
    m[:3, 1] = col_dir * spacing[0]
    m[:3, 2] = np.cross(row_dir, col_dir) * float(back.SliceThickness)
    m[:3, 3] = ipp
    out = {
        'transferSyntax': str(back.file_meta.TransferSyntaxUID),
        'sopClass': str(back.SOPClassUID),
        'modality': str(back.Modality),
        'photometric': str(back.PhotometricInterpretation),
        'bitsAllocated': int(back.BitsAllocated),
        'bitsStored': int(back.BitsStored),
        'pixelRepresentation': int(back.PixelRepresentation),
        'Rows': int(back.Rows),
        'Columns': int(back.Columns),
        'PixelSpacing': spacing,
        'SliceThickness': float(back.SliceThickness),
        'ImageOrientationPatient': iop,
        'ImagePositionPatient': ipp,
        'RescaleSlope': float(back.RescaleSlope),
        'RescaleIntercept': float(back.RescaleIntercept),
        'pixels': array.astype(int).tolist(),
        'derived': {
            'note': ('Not read by pydicom: computed here from the values above. voxel (column c, row r, 0, 1) '
                     '-> patient LPS mm; column 0 = row direction * PixelSpacing[1] (column spacing), '
                     'column 1 = column direction * PixelSpacing[0] (row spacing), column 2 = '
                     'cross(row direction, column direction) * SliceThickness.'),
            'voxelToPatientLPS': matrix(m),
        },
    }
    with open(os.path.join(HERE, 'geometry-dicom.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    nifti_fixtures()
    dicom_fixtures()
