#!/usr/bin/env bash
# The cache's mutation test at nightly size (Tests/NotebookTests/Mutation): random notebooks take
# random edits, and after each a run on a shared cache must give exactly what a run without a
# cache gives, recomputing the statements the edit affects and nothing else. CI runs 100 edits;
# this runs EDITS (default 1000) from SEED (default 2026), in release mode.
#
#   scripts/mutation.sh [EDITS] [SEED]
#
# A failure prints the edit and the notebook it broke. MEDSYNTH_MUTATION_VERBOSE=1 also prints
# each chain's first notebook.
set -euo pipefail
cd "$(dirname "$0")/.."

edits="${1:-1000}"
seed="${2:-2026}"
if [[ ! "$edits" =~ ^[0-9]+$ || ! "$seed" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/mutation.sh [EDITS] [SEED]" >&2
    exit 2
fi
# The flags scripts/test.sh builds with, so that the two share one build.
read -ra cpu <<< "$(scripts/build-flags.sh)"
swift build -c release "${cpu[@]}" -Xswiftc -enable-testing --build-tests
MEDSYNTH_MUTATION_EDITS="$edits" MEDSYNTH_MUTATION_SEED="$seed" \
    swift test -c release "${cpu[@]}" -Xswiftc -enable-testing --skip-build --filter CacheMutationTests
