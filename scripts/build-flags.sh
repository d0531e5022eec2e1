#!/usr/bin/env bash
# Prints the flags medsynth's scripts give `swift build` for the CPU: one line, words separated
# by spaces. The package itself sets no CPU (so that its libraries can be a dependency); these
# scripts choose:
#   - by default, on x86-64, haswell: x86-64-v3's instructions (AVX2, FMA, BMI; AMD's CPUs since
#     Zen, Intel's Core CPUs since 2013), a name swiftc's clang importer knows, which "x86-64-v3"
#     is not; on a CPU without them, the x86-64 baseline. The binary runs on any such machine, and medsynth's C kernels (Sources/CKernels) and OpenBLAS
#     pick AVX-512 at run time where the CPU has it. On AArch64 the compiler's default.
#   - MEDSYNTH_TARGET_CPU=native: the CPU of this machine, for a binary that runs here only;
#   - MEDSYNTH_TARGET_CPU=NAME: any CPU name swiftc knows (x86-64 for the oldest, znver4, ...).
set -euo pipefail

choice="${MEDSYNTH_TARGET_CPU:-}"
if [[ -z "$choice" ]]; then
    case "$(uname -m)" in
        x86_64|amd64)
            # A machine without x86-64-v3's instructions (older or low-power CPUs, some virtual
            # machines) gets the x86-64 baseline: slower, and it runs there.
            flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
            if [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* && " $flags " == *" bmi2 "* ]]; then
                choice=haswell
            else
                echo "note: this CPU lacks AVX2, FMA or BMI2: building for the x86-64 baseline" >&2
                choice=x86-64
            fi
            ;;
        *) exit 0 ;;
    esac
fi
if [[ ! "$choice" =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "error: MEDSYNTH_TARGET_CPU='$choice' is not a CPU name" >&2
    exit 1
fi
echo "-Xswiftc -target-cpu -Xswiftc $choice"
