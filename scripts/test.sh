#!/usr/bin/env bash
# Runs every test. Tests build in release mode (numerical loops run 10-100x slower in debug)
# with -enable-testing so they can reach internal symbols.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build

# The notebooks, checked like doctests (a fresh cache, so that CI computes every cell).
binary="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/medsynth"
check_dir="$(mktemp -d)"
trap 'rm -rf "$check_dir"' EXIT
"$binary" check notebooks/ --cache "$check_dir/cache" --report "$check_dir/reports" --junit "${MEDSYNTH_JUNIT:-$check_dir/junit.xml}"
