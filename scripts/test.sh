#!/usr/bin/env bash
# Runs every test. Tests build in release mode (numerical loops run 10-100x slower in debug)
# with -enable-testing so they can reach internal symbols.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build
