#!/usr/bin/env bash
# Runs every test. Tests build in release mode (numerical loops run 10-100x slower in debug)
# with -enable-testing so they can reach internal symbols, for the CPU scripts/build-flags.sh
# chooses. MEDSYNTH_SCRATCH_PATH puts the build outside the checkout (CI does; default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$(pwd)"

scripts/install-dependencies.sh
cpu_flags="$(scripts/build-flags.sh)"
read -ra cpu <<< "$cpu_flags"
scratch="${MEDSYNTH_SCRATCH_PATH:-.build}"
flags=(-c release "${cpu[@]}" -Xswiftc -enable-testing --scratch-path "$scratch")
# Each stage says when it starts, in seconds since the start, so that CI's time can be read off.
stage() { echo "== $1 (at $SECONDS s)"; }
stage "build"
swift build "${flags[@]}" --build-tests
# The tests in two processes at a time, each test alone in its process, so that the two cores
# stay busy (3.3 minutes instead of 4.4 on a Zen 3).
stage "tests"
swift test "${flags[@]}" --skip-build --parallel

check_dir="$(mktemp -d)"
trap 'rm -rf "$check_dir"' EXIT

stage "the example package"
# A package of someone else's that depends on the Engine library by path builds and runs (it
# fits a 3x3 kernel with the engine's autodiff). SwiftPM lets a path dependency use unsafe
# flags, which a versioned one may not: the manifest is checked for them separately.
if swift package dump-package | grep -q '"unsafeFlags"'; then
    echo "error: Package.swift uses unsafeFlags: its libraries could not be a versioned dependency" >&2
    exit 1
fi
example_scratch="${scratch%/}-example"
swift build --package-path Examples/EngineUser --scratch-path "$example_scratch"
"$(swift build --package-path Examples/EngineUser --scratch-path "$example_scratch" --show-bin-path)/engine-user"

stage "install"
# medsynth installed as a user installs it (scripts/install.sh, from the build above: no second
# build), then the installed course, copied by `medsynth course`, checked with the installed
# binary while the checkout is out of view: whatever the binary needs travels with it.
scripts/install.sh --prefix "$check_dir/prefix" --scratch-path "$scratch" -- -Xswiftc -enable-testing > "$check_dir/install.log" \
    || { cat "$check_dir/install.log"; exit 1; }
tail -n 5 "$check_dir/install.log"
installed="$check_dir/prefix/bin/medsynth"
# Called by name through PATH, as a user would (the binary then finds its course by itself).
(cd / && PATH="$check_dir/prefix/bin:$PATH" medsynth course "$check_dir/course")
# Runs a command with the checkout hidden under an empty folder, in a private mount namespace
# (root's, or a user namespace's where the kernel allows one). Where neither can mount, the
# command runs with the checkout in view, and says so.
hide=""
for namespace in "unshare --mount" "unshare --user --map-root-user --mount"; do
    if $namespace sh -c 'mount -t tmpfs medsynth-hidden "$0"' "$checkout" 2> /dev/null; then hide="$namespace"; break; fi
done
without_checkout() {
    if [[ -n "$hide" ]]; then
        $hide sh -c 'mount -t tmpfs medsynth-hidden "$0" && cd / && exec "$@"' "$checkout" "$@"
    else
        (cd / && "$@")
    fi
}
if [[ -n "$hide" ]]; then
    without_checkout test ! -e "$checkout/Package.swift" || { echo "error: the checkout is still in view" >&2; exit 1; }
else
    echo "warning: no private mount namespace here: the installed course is checked with the checkout in view" >&2
fi

stage "notebooks"
# The notebooks, checked like doctests (a fresh cache, so that CI computes every cell): the
# course, on the committed models (08-your-data, which trains its own model, shortened by its
# parameters, 04's DDPM in 200 steps instead of 1000, 05's feature-set intervals from 300
# resamples instead of 1000); then the notebooks that trained those models, shortened
# and writing into a temporary folder, so that the training path stays tested.
status=0
without_checkout "$installed" check "$check_dir"/course/*.medsynth --set patients=12 --set ldm_steps=20 --set ddpm_steps=200 \
    --set ae_steps=150 --set resamples=300 --cache "$check_dir/cache" --report "$check_dir/reports" --junit "$check_dir/junit.xml" \
    || status=$?
# The JUnit file goes where CI wants it (it could not be written there: the checkout was hidden),
# failures and all.
if [[ -n "${MEDSYNTH_JUNIT:-}" ]]; then cp "$check_dir/junit.xml" "$MEDSYNTH_JUNIT"; fi
if ((status != 0)); then exit "$status"; fi
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
