#!/usr/bin/env bash
# Runs every test. Tests build in release mode (numerical loops run 10-100x slower in debug)
# with -enable-testing so they can reach internal symbols, for the CPU scripts/build-flags.sh
# chooses. MEDSYNTH_SCRATCH_PATH puts the build outside the checkout (CI does; default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$(pwd)"

scripts/install-dependencies.sh
read -ra cpu <<< "$(scripts/build-flags.sh)"
scratch="${MEDSYNTH_SCRATCH_PATH:-.build}"
flags=(-c release "${cpu[@]}" -Xswiftc -enable-testing --scratch-path "$scratch")
# Each stage says when it starts, in seconds since the start, so that CI's time can be read off.
stage() { echo "== $1 (at $SECONDS s)"; }
stage "build"
swift build "${flags[@]}" --build-tests
# The tests in two processes at a time (XCTest and Swift Testing alike): each test runs alone in
# its process, and the two cores are kept busy (3.3 minutes instead of 4.4 on a Zen 3).
stage "tests"
swift test "${flags[@]}" --skip-build --parallel

check_dir="$(mktemp -d)"
trap 'rm -rf "$check_dir"' EXIT

stage "the example package"
# A package of someone else's that depends on the Engine library by path builds (no unsafe
# flags in the library products) and runs: it fits a 3x3 kernel with the engine's autodiff.
swift build --package-path Examples/EngineUser --scratch-path "$check_dir/example-build"
"$(swift build --package-path Examples/EngineUser --scratch-path "$check_dir/example-build" --show-bin-path)/engine-user"

stage "install"
# medsynth installed as a user installs it (scripts/install.sh, from the build above: no second
# build), then the installed course, copied by `medsynth course`, checked with the installed
# binary while the checkout is out of view: whatever the binary needs travels with it.
scripts/install.sh --prefix "$check_dir/prefix" --scratch-path "$scratch" -- -Xswiftc -enable-testing > "$check_dir/install.log" \
    || { cat "$check_dir/install.log"; exit 1; }
tail -n 5 "$check_dir/install.log"
installed="$check_dir/prefix/bin/medsynth"
"$installed" course "$check_dir/course"
# Runs a command with the checkout hidden under an empty folder (a private mount namespace).
without_checkout() {
    local namespace
    for namespace in "unshare --mount" "unshare --user --map-root-user --mount"; do
        if $namespace true 2> /dev/null; then
            $namespace sh -c 'mount -t tmpfs medsynth-hidden "$0" && cd / && exec "$@"' "$checkout" "$@"
            return
        fi
    done
    echo "warning: this kernel allows no private mount namespace: the checkout stays in view" >&2
    (cd / && "$@")
}
without_checkout test ! -e "$checkout/Package.swift" || { echo "error: the checkout is still in view" >&2; exit 1; }

stage "notebooks"
# The notebooks, checked like doctests (a fresh cache, so that CI computes every cell): the
# course, on the committed models (08-your-data, which trains its own model, shortened by its
# parameters, 04's DDPM in 200 steps instead of 1000, 05's feature-set intervals from 300
# resamples instead of 1000); then the notebooks that trained those models, shortened
# and writing into a temporary folder, so that the training path stays tested.
without_checkout "$installed" check "$check_dir"/course/*.medsynth --set patients=12 --set ldm_steps=20 --set ddpm_steps=200 \
    --set ae_steps=150 --set resamples=300 --cache "$check_dir/cache" --report "$check_dir/reports" --junit "$check_dir/junit.xml"
if [[ -n "${MEDSYNTH_JUNIT:-}" ]]; then cp "$check_dir/junit.xml" "$MEDSYNTH_JUNIT"; fi
# Their reports as a reader sees them, when chromium is installed (scripts/screenshots.sh).
scripts/screenshots.sh "$check_dir/screenshots" "$check_dir"/reports/*.html > /dev/null
without_checkout "$installed" check "$check_dir/course/train" --set subjects=16 --set steps=20 --set gan_steps=4 \
    --set models="$check_dir/models" --allow-path "$check_dir/models" \
    --cache "$check_dir/cache" --report "$check_dir/reports-train" --junit "$check_dir/junit-train.xml"

stage "fuzzing"
# Every reader fuzzed briefly from the committed seeds (Tests/Fuzz): 3 s a target, about a
# minute and a half in all, after a separate sanitizer build in .build-fuzz (a debug build,
# which compiles in about half the time of a release one: on a Zen 3 machine the release
# build alone took 287 s of a 27-minute CI run). A crash fails the run; its input is saved in
# .build-fuzz/findings/TARGET/ and belongs in Tests/Fuzz/crashes/TARGET/. Longer runs:
# scripts/fuzz.sh TARGET|all SECONDS (release).
MEDSYNTH_FUZZ_CONFIGURATION="${MEDSYNTH_FUZZ_CONFIGURATION:-debug}" scripts/fuzz.sh all "${MEDSYNTH_FUZZ_SECONDS:-3}"
stage "done"
