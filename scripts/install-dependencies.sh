#!/usr/bin/env bash
# Installs the Debian packages medsynth builds against, if any is missing. Idempotent: when all
# are present it only checks, and it never runs apt-get.
set -euo pipefail

packages=(libopenblas-dev liblapacke-dev libhdf5-dev libpng-dev libreadline-dev zlib1g-dev pkg-config
          libcmark-gfm-dev libcmark-gfm-extensions-dev libjs-katex libgdcm-dev)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} > 0)); then
    echo "installing: ${missing[*]}"
    if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The build finds the C libraries through pkg-config (OpenBLAS and LAPACKE are checked here too,
# though the engine loads them at run time).
for module in openblas lapacke hdf5 libpng zlib libcmark-gfm; do
    if ! pkg-config --exists "$module"; then
        echo "error: pkg-config cannot find $module although its package is installed" >&2
        exit 1
    fi
done

# GDCM has no pkg-config file on Debian: its headers are looked for where it installs them.
if ! compgen -G "/usr/include/gdcm-3.*/gdcmImageReader.h" >/dev/null && ! compgen -G "/usr/local/include/gdcm-3.*/gdcmImageReader.h" >/dev/null; then
    echo "error: GDCM's headers (include/gdcm-3.x) are not installed; install libgdcm-dev" >&2
    exit 1
fi

if ! command -v swift >/dev/null; then
    echo "error: swift is not on PATH; install a Swift 6 toolchain (https://www.swift.org/install/linux/)" >&2
    exit 1
fi
