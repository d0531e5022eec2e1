#!/usr/bin/env bash
# The install test on its own, the long way round (CI does the same on the build it already
# has, see scripts/test.sh): clones this checkout's HEAD into a temporary folder, builds it into
# a scratch path outside that clone, installs into a temporary prefix, deletes the clone, and
# checks the installed course with the installed binary, from a copy made by `medsynth course`.
# About 10 minutes on two cores (a release build from scratch, then the course).
#   scripts/test-install.sh [--keep]   (--keep leaves the temporary folder for inspection)
set -euo pipefail
checkout="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
if [[ "${1:-}" == "--keep" ]]; then echo "work folder: $work"; else trap 'rm -rf "$work"' EXIT; fi

git clone --quiet "$checkout" "$work/clone"
"$work/clone/scripts/install.sh" --prefix "$work/prefix" --scratch-path "$work/build"
rm -rf "$work/clone" "$work/build"
cd "$work"
medsynth="$work/prefix/bin/medsynth"
"$medsynth" --version
"$medsynth" doctor --sgemm-seconds 0 | grep -E '^(stdlib|own kernels)'
# By name through PATH, as a user calls it.
PATH="$work/prefix/bin:$PATH" medsynth course "$work/course"
"$medsynth" check "$work"/course/*.medsynth --set patients=12 --set ldm_steps=20 --set ddpm_steps=200 \
    --set ae_steps=150 --set resamples=300 --cache "$work/cache" --report "$work/reports" --junit "$work/junit.xml"
man -l "$work/prefix/share/man/man1/medsynth.1" > /dev/null 2>&1 || echo "note: man is not installed; the page was not rendered"
echo "the installed medsynth checked its course without the checkout"
