#!/usr/bin/env bash
# Exports a UNet2DModel and an AutoencoderKL for diffusers and for MONAI, loads each folder with
# the library itself (from_pretrained / load_state_dict, strict) and prints the largest gap to
# medsynth's output relative to the output's scale. Needs torch, diffusers, monai and einops.
# usage: scripts/interop/check-exports.sh [medsynth binary]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
medsynth="${1:-$here/../../.build/release/medsynth}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/exports.medsynth" "$here/check_exports.py" "$work/"
(cd "$work" && "$medsynth" run exports.medsynth --no-cache --report "$work/report" > /dev/null && python3 check_exports.py)
