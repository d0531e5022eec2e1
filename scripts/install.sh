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
# Run it as yourself: it builds as you, and asks sudo only to write into a prefix you cannot.
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
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument '$1' (see scripts/install.sh --help)" >&2; exit 2 ;;
    esac
done
for value in "$prefix" "${scratch:-.}"; do
    if [[ -z "$value" || "$value" == -* ]]; then
        echo "error: '$value' is not a folder for --prefix or --scratch-path (empty, or an option)" >&2
        exit 2
    fi
done
# --prefix=~/x reaches us with its tilde; relative folders are the caller's, not the checkout's.
prefix="${prefix/#\~/$HOME}"
scratch="${scratch/#\~/$HOME}"
[[ "$prefix" == /* ]] || prefix="$(pwd)/$prefix"
[[ -z "$scratch" || "$scratch" == /* ]] || scratch="$(pwd)/$scratch"

# Writing into the prefix: directly when we can, through sudo when we cannot (the build never
# runs as root, so the checkout's .build stays the user's).
as_owner=()
probe="$prefix"
while [[ ! -e "$probe" ]]; do probe="$(dirname "$probe")"; done
if [[ ! -w "$probe" ]]; then
    if [[ $(id -u) -ne 0 ]] && command -v sudo > /dev/null; then
        as_owner=(sudo)
        echo "$prefix is not writable by you: the files are placed with sudo"
    else
        echo "error: $prefix is not writable: choose --prefix DIR" >&2
        exit 1
    fi
fi

installed=(
    bin/medsynth
    share/man/man1/medsynth.1
    share/bash-completion/completions/medsynth
    share/zsh/site-functions/_medsynth
    share/fish/vendor_completions.d/medsynth.fish
)
if $uninstall; then
    if [[ ! -e "$prefix/bin/medsynth" && ! -d "$prefix/share/medsynth/course" ]]; then
        echo "medsynth is not installed in $prefix: nothing to remove"
        exit 0
    fi
    for file in "${installed[@]}"; do "${as_owner[@]}" rm -f "$prefix/$file" "$prefix/$file.new"; done
    # The course and what an interrupted install left; anything else in share/medsynth stays.
    "${as_owner[@]}" rm -rf "$prefix/share/medsynth/course" "$prefix/share/medsynth/.course.new" "$prefix/share/medsynth/.course.old"
    "${as_owner[@]}" rmdir "$prefix/share/medsynth" 2> /dev/null || true
    echo "removed medsynth from $prefix"
    exit 0
fi

cd "$checkout"
scripts/install-dependencies.sh
cpu_flags="$(scripts/build-flags.sh)"
read -ra cpu <<< "$cpu_flags"
build=(swift build -c release "${cpu[@]}" ${scratch:+--scratch-path "$scratch"} "${extra[@]}")
"${build[@]}" --product medsynth
binary="$("${build[@]}" --show-bin-path)/medsynth"

# Everything is made in a staging folder first (the course copied by the new binary itself, the
# man page and the completions written by it), then each file is copied next to its place and
# renamed over it: a failure part way leaves every file whole, old or new.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/completions"
cp "$binary" "$stage/medsynth"
MEDSYNTH_COURSE="$checkout/notebooks" "$stage/medsynth" course "$stage/course" > /dev/null
"$stage/medsynth" generate-manual > "$stage/medsynth.1"
for shell in bash zsh fish; do
    "$stage/medsynth" --generate-completion-script "$shell" > "$stage/completions/$shell"
done

# The course first (it is what a half-finished install would most likely break): the new one
# is copied beside the old, and the two are swapped by renames.
share="$prefix/share/medsynth"
"${as_owner[@]}" mkdir -p "$share"
"${as_owner[@]}" rm -rf "$share/.course.new" "$share/.course.old"
"${as_owner[@]}" cp -R "$stage/course" "$share/.course.new"
if [[ -d "$share/course" ]]; then "${as_owner[@]}" mv "$share/course" "$share/.course.old"; fi
"${as_owner[@]}" mv "$share/.course.new" "$share/course"
"${as_owner[@]}" rm -rf "$share/.course.old"

place() { # place FILE DESTINATION-RELATIVE-TO-THE-PREFIX MODE
    local destination="$prefix/$2"
    "${as_owner[@]}" mkdir -p "$(dirname "$destination")"
    "${as_owner[@]}" cp "$1" "$destination.new"
    "${as_owner[@]}" chmod "$3" "$destination.new"
    "${as_owner[@]}" mv -f "$destination.new" "$destination"
}
place "$stage/medsynth" bin/medsynth 0755
place "$stage/medsynth.1" share/man/man1/medsynth.1 0644
place "$stage/completions/bash" share/bash-completion/completions/medsynth 0644
place "$stage/completions/zsh" share/zsh/site-functions/_medsynth 0644
place "$stage/completions/fish" share/fish/vendor_completions.d/medsynth.fish 0644

echo "installed medsynth $("$prefix/bin/medsynth" --version | head -1) into $prefix"
echo "  binary:      $prefix/bin/medsynth"
echo "  course:      $prefix/share/medsynth/course (medsynth course DIR copies it for you to edit)"
echo "  man page:    $prefix/share/man/man1/medsynth.1 (man medsynth)"
echo "  completions: bash, zsh and fish under $prefix/share (docs/install.md says how to turn them on)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on PATH" ;; esac
