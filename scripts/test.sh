#!/usr/bin/env bash
# Runs every test. Tests build in release mode (numerical loops run 10-100x slower in debug)
# with -enable-testing so they can reach internal symbols.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-dependencies.sh
swift build -c release -Xswiftc -enable-testing --build-tests
swift test -c release -Xswiftc -enable-testing --skip-build

# The notebooks, checked like doctests (a fresh cache, so that CI computes every cell): the
# course, on the committed models (08-your-data, which trains its own model, shortened by its
# parameters, 04's DDPM in 200 steps instead of 1000, 05's feature-set intervals from 300
# resamples instead of 1000); then the notebooks that trained those models, shortened
# and writing into a temporary folder, so that the training path stays tested.
binary="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/medsynth"
check_dir="$(mktemp -d)"
trap 'rm -rf "$check_dir"' EXIT
"$binary" check notebooks/*.medsynth --set patients=12 --set ldm_steps=20 --set ddpm_steps=200 --set ae_steps=150 --set resamples=300 --cache "$check_dir/cache" --report "$check_dir/reports" \
    --junit "${MEDSYNTH_JUNIT:-$check_dir/junit.xml}"
# Their reports as a reader sees them, when chromium is installed (scripts/screenshots.sh).
scripts/screenshots.sh "$check_dir/screenshots" "$check_dir"/reports/*.html > /dev/null
"$binary" check notebooks/train --set subjects=16 --set steps=20 --set gan_steps=4 --set models="$check_dir/models" --allow-path "$check_dir/models" \
    --cache "$check_dir/cache" --report "$check_dir/reports-train" --junit "$check_dir/junit-train.xml"

# Every reader fuzzed briefly from the committed seeds (Tests/Fuzz): 4 s a target, about a
# minute and a half in all, after a separate sanitizer build in .build-fuzz (a debug build,
# which compiles in about half the time of a release one: on a Zen 3 machine the release
# build alone took 287 s of a 27-minute CI run). A crash fails the run; its input is saved in
# .build-fuzz/findings/TARGET/ and belongs in Tests/Fuzz/crashes/TARGET/. Longer runs:
# scripts/fuzz.sh TARGET|all SECONDS (release).
MEDSYNTH_FUZZ_CONFIGURATION="${MEDSYNTH_FUZZ_CONFIGURATION:-debug}" scripts/fuzz.sh all "${MEDSYNTH_FUZZ_SECONDS:-4}"
