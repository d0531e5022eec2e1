#!/usr/bin/env bash
# Builds medsynth in release mode and installs it under a prefix (default /usr/local):
#   PREFIX/bin/medsynth                                    the binary (its standard library is built in)
#   PREFIX/share/medsynth/course/                          the course: notebooks, models, training notebooks
#   PREFIX/share/man/man1/medsynth.1                       the man page
#   PREFIX/share/bash-completion/completions/medsynth      shell completions for bash,
#   PREFIX/share/zsh/site-functions/_medsynth              zsh
#   PREFIX/share/fish/vendor_completions.d/medsynth.fish   and fish
#
# Usage: scripts/install.sh [--prefix DIR] [--scratch-path DIR] [--uninstall] [-- SWIFT_BUILD_ARGS...]
#   --scratch-path  where swift build keeps its work (default: .build in this checkout)
#   --uninstall     removes what an install put under the prefix, and nothing else
#   after --, arguments for swift build (for example -Xswiftc -enable-testing, as the tests build)
# The CPU the binary is built for is scripts/build-flags.sh's choice (MEDSYNTH_TARGET_CPU).
set -euo pipefail
checkout="$(cd "$(dirname "$0")/.." && pwd)"

prefix=/usr/local
scratch=""
uninstall=false
extra=()
while (($# > 0)); do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a folder}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --scratch-path) scratch="${2:?--scratch-path needs a folder}"; shift 2 ;;
        --scratch-path=*) scratch="${1#--scratch-path=}"; shift ;;
        --uninstall) uninstall=true; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument '$1' (see scripts/install.sh --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$prefix" 2>/dev/null || true
prefix="$(cd "$prefix" 2>/dev/null && pwd)" || { echo "error: cannot create the prefix folder" >&2; exit 1; }
if [[ ! -w "$prefix" ]]; then
    echo "error: $prefix is not writable: run as root (sudo scripts/install.sh) or choose --prefix DIR" >&2
    exit 1
fi

installed=(
    bin/medsynth
    share/man/man1/medsynth.1
    share/bash-completion/completions/medsynth
    share/zsh/site-functions/_medsynth
    share/fish/vendor_completions.d/medsynth.fish
)
if $uninstall; then
    for file in "${installed[@]}"; do rm -f "$prefix/$file"; done
    rm -rf "$prefix/share/medsynth"
    echo "removed medsynth from $prefix"
    exit 0
fi

cd "$checkout"
scripts/install-dependencies.sh
read -ra cpu <<< "$(scripts/build-flags.sh)"
build=(swift build -c release "${cpu[@]}" ${scratch:+--scratch-path "$scratch"} "${extra[@]}")
"${build[@]}" --product medsynth
binary="$("${build[@]}" --show-bin-path)/medsynth"

# Everything is first written to a staging folder inside the prefix, then moved into place:
# an install that fails half way leaves the previous one as it was.
stage="$(mktemp -d "$prefix/.medsynth-install.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/man" "$stage/completions"
cp "$binary" "$stage/bin/medsynth"
chmod 0755 "$stage/bin/medsynth"
MEDSYNTH_COURSE="$checkout/notebooks" "$stage/bin/medsynth" course "$stage/course" > /dev/null
"$stage/bin/medsynth" generate-manual > "$stage/man/medsynth.1"
for shell in bash zsh fish; do
    "$stage/bin/medsynth" --generate-completion-script "$shell" > "$stage/completions/$shell"
done

place() { # place FILE DESTINATION (relative to the prefix)
    mkdir -p "$(dirname "$prefix/$2")"
    mv -f "$1" "$prefix/$2"
}
place "$stage/bin/medsynth" bin/medsynth
place "$stage/man/medsynth.1" share/man/man1/medsynth.1
place "$stage/completions/bash" share/bash-completion/completions/medsynth
place "$stage/completions/zsh" share/zsh/site-functions/_medsynth
place "$stage/completions/fish" share/fish/vendor_completions.d/medsynth.fish
mkdir -p "$prefix/share/medsynth"
rm -rf "$prefix/share/medsynth/course.old"
[[ -d "$prefix/share/medsynth/course" ]] && mv "$prefix/share/medsynth/course" "$prefix/share/medsynth/course.old"
mv "$stage/course" "$prefix/share/medsynth/course"
rm -rf "$prefix/share/medsynth/course.old"

echo "installed $("$prefix/bin/medsynth" --version | head -1) into $prefix"
echo "  binary:      $prefix/bin/medsynth"
echo "  course:      $prefix/share/medsynth/course (medsynth course DIR copies it for you to edit)"
echo "  man page:    $prefix/share/man/man1/medsynth.1 (man medsynth)"
echo "  completions: bash, zsh and fish under $prefix/share (docs/install.md says how to enable them)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on PATH" ;; esac
