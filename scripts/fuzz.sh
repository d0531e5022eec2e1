#!/usr/bin/env bash
# Fuzzes medsynth's readers with libFuzzer (see Sources/FuzzTargets and Tests/Fuzz/README.md).
#
#   scripts/fuzz.sh TARGET|all SECONDS [libFuzzer options...]
#
# Builds medsynth-fuzz with coverage instrumentation and address sanitizer (in .build-fuzz, apart
# from the normal build), then runs each target for SECONDS, one after the other, starting from
# the committed seeds (Tests/Fuzz/corpus/TARGET, never written to) and the inputs earlier runs found
# (.build-fuzz/corpus/TARGET). Crashes, timeouts and out-of-memory inputs are saved in
# ${MEDSYNTH_FUZZ_FINDINGS:-.build-fuzz/findings}/TARGET/; the script exits 1 if there are any.
# A saved input replays without sanitizers: swift run medsynth-fuzz TARGET FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 || ! "$2" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer options...]" >&2
    exit 2
fi
requested="$1"
seconds="$2"
shift 2

scripts/install-dependencies.sh

# libFuzzer without its main(): SwiftPM links executables with their entry point renamed and
# aliased to main, which clashes with libFuzzer's; medsynth-fuzz calls LLVMFuzzerRunDriver
# itself. -sanitize=fuzzer would link the library with main, so its instrumentation is asked
# for by hand: what swiftc's -sanitize=fuzzer turns on for Linux.
toolchain="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")"
fuzzer_library="$(ls "$toolchain"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a | head -n 1)"
# MEDSYNTH_FUZZ_CONFIGURATION=debug builds in about half the time and runs slower: what CI's
# short smoke run wants; longer runs keep the default, release.
configuration="${MEDSYNTH_FUZZ_CONFIGURATION:-release}"
build=(swift build -c "$configuration" --product medsynth-fuzz --scratch-path .build-fuzz
       -Xswiftc -DFUZZING -Xswiftc -sanitize=address
       -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table
       -Xlinker "$fuzzer_library" -Xlinker -lstdc++)
started=$SECONDS
mkdir -p .build-fuzz
# gold warns about every sanitizer symbol it cannot export; the warnings say nothing.
if ! "${build[@]}" > .build-fuzz/build.log 2>&1; then
    grep -v "ld.gold: warning: Cannot export local symbol" .build-fuzz/build.log >&2
    echo "fuzz.sh: the build failed" >&2
    exit 1
fi
binary="$("${build[@]}" --show-bin-path)/medsynth-fuzz"
echo "fuzz.sh: built $binary in $((SECONDS - started)) s"

if [[ "$requested" != all ]] && ! "$binary" --list | grep -q "^$requested "; then
    echo "fuzz.sh: no target '$requested'; the targets are: $("$binary" --list | cut -d' ' -f1 | tr '\n' ' ')" >&2
    exit 2
fi

findings="${MEDSYNTH_FUZZ_FINDINGS:-.build-fuzz/findings}"
# Swift's crash handler reads the crashed process's memory, which address sanitizer reports
# as an overflow of its own in place of the real crash; libFuzzer prints the stack instead.
# Leak reports are off: Swift's runtime keeps caches that LeakSanitizer cannot tell from
# leaks (set here too, for the child processes of libFuzzer's fork mode).
export SWIFT_BACKTRACE=enable=no
# The folder the targets write each input to (as a file, for the readers that take paths);
# crashed runs leave theirs behind, so it is this script's own, removed at the end.
scratch_base=/dev/shm
[[ -d "$scratch_base" ]] || scratch_base="${TMPDIR:-/tmp}"
export MEDSYNTH_FUZZ_SCRATCH="$(mktemp -d "$scratch_base/medsynth-fuzz-run-XXXXXX")"
trap 'rm -rf "$MEDSYNTH_FUZZ_SCRATCH"' EXIT
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
failed=()
while read -r target max_len; do
    [[ "$requested" == all || "$requested" == "$target" ]] || continue
    mkdir -p ".build-fuzz/corpus/$target" "$findings/$target"
    echo "fuzz.sh: $target for $seconds s"
    # -rss_limit_mb/-malloc_limit_mb: an input that makes a reader allocate past 2 GB is a
    # finding (issue 13: readers check sizes against a budget first).
    status=0
    # The inputs that crashed a reader before, under the sanitizer: a memory error that the
    # unsanitized regression test cannot see fails here.
    regressions=(Tests/Fuzz/crashes/"$target"/*)
    regressions=("${regressions[@]/*README.md/}")
    for input in "${regressions[@]}"; do
        [[ -f "$input" ]] || continue
        if ! "$binary" "$target" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 "$input" \
                > ".build-fuzz/$target-$(basename "$input").log" 2>&1; then
            echo "fuzz.sh: $input still fails (log: .build-fuzz/$target-$(basename "$input").log)"
            failed+=("$target:$(basename "$input")")
        fi
    done
    # The committed seeds go in as -seed_inputs, which libFuzzer only reads: given as a corpus
    # folder, it may write its finds there (fork mode did).
    seeds="$(find "Tests/Fuzz/corpus/$target" -type f ! -name '*.md' | sort | paste -sd, -)"
    nice -n 10 "$binary" "$target" ".build-fuzz/corpus/$target" -seed_inputs="$seeds" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
        -artifact_prefix="$findings/$target/" "$@" > ".build-fuzz/$target.log" 2>&1 || status=$?
    grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec|^==[0-9]+==ERROR|^SUMMARY|^Fatal error|Test unit written" \
        ".build-fuzz/$target.log" || true
    [[ $status -eq 0 ]] || failed+=("$target")
done < <("$binary" --list)

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: findings for ${failed[*]} in $findings (logs: .build-fuzz/TARGET.log)" >&2
    exit 1
fi
