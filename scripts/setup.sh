#!/usr/bin/env bash
# Sets medsynth up from a fresh clone: installs what is missing, builds in release mode, and
# runs the main job: the quickstart notebook on the built-in phantom, with its report.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
# For x86-64-v3's instructions by default (scripts/build-flags.sh; MEDSYNTH_TARGET_CPU=native
# for this CPU only): the binary runs on any AVX2 machine and picks AVX-512 kernels at run time.
read -ra cpu <<< "$(scripts/build-flags.sh)"
swift build -c release "${cpu[@]}"
binary="$(swift build -c release "${cpu[@]}" --show-bin-path)/medsynth"

"$binary" doctor
echo
# The quickstart: the phantom, its mask and edges, and images generated from them by the
# course's pretrained latent diffusion model (notebooks/models). Its last line names the report.
"$binary" run notebooks/00-quickstart.medsynth --report medsynth-out
echo
echo "medsynth is built: $binary (try '$binary --help', or '$binary' for the REPL)"
echo "the quickstart's report: $(pwd)/medsynth-out/00-quickstart.html"
