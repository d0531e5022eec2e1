#!/usr/bin/env bash
# Compares medsynth's DICOM reader with pydicom over the whole of pydicom's and pydicom-data's test
# files (about 240 files, 155 images pydicom decodes): Tests/FormatsTests/Fixtures/make_dicom_sweep.py
# writes pydicom's values for each, then DICOMSweepTests reads every file with medsynth and compares.
# The report (every file: equal, within tolerance, different, or why it is refused) is written
# to OUT/medsynth-report.txt.
#
#   scripts/dicom-sweep.sh [OUT]
#
# The reference (pydicom 3.0.2, pydicom-data, python-gdcm, pylibjpeg and its plugins) is installed
# into OUT/venv when python3 lacks it; that needs PyPI. CI does not run this: it compares 22 of the
# files, committed in Tests/FormatsTests/Fixtures/dicom-codecs (DICOMCodecTests).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(realpath -m "${1:-$(mktemp -d -t medsynth-dicom-sweep.XXXXXX)}")"
mkdir -p "$out"
python=python3
if ! "$python" -c "import pydicom, data_store, gdcm, pylibjpeg, numpy; assert pydicom.__version__ == '3.0.2'" 2>/dev/null; then
    echo "installing the reference into $out/venv"
    python3 -m venv "$out/venv"
    "$out/venv/bin/pip" install -q "pydicom==3.0.2" "pydicom-data==1.0.0" python-gdcm pylibjpeg pylibjpeg-libjpeg \
        pylibjpeg-openjpeg pylibjpeg-rle numpy
    python="$out/venv/bin/python3"
fi
(cd Tests/FormatsTests/Fixtures && "$python" make_dicom_sweep.py "$out")
read -r -a flags <<< "$(scripts/build-flags.sh)"
swift build -c release "${flags[@]}" -Xswiftc -enable-testing --build-tests
MEDSYNTH_DICOM_SWEEP="$out" swift test -c release "${flags[@]}" -Xswiftc -enable-testing --skip-build --filter DICOMSweepTests
tail -8 "$out/medsynth-report.txt"
echo "report: $out/medsynth-report.txt"
