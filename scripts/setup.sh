#!/usr/bin/env bash
# Sets medsynth up from a fresh clone: installs what is missing, builds in release mode, and
# runs the main job (`medsynth doctor` and the engine demo).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
swift build -c release
binary="$(swift build -c release --show-bin-path)/medsynth"

"$binary" doctor
"$binary" demo
echo
echo "medsynth is built: $binary (try '$binary --help')"
