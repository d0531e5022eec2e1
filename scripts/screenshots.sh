#!/usr/bin/env bash
# Screenshots of notebook reports, as a reader sees them: each report rendered by headless
# chromium (Debian's chromium package) at 1000 pixels wide, the whole page, into PNG files.
#
#   scripts/screenshots.sh OUT [REPORT.html...]
#
# Without reports it first runs the course (notebooks/*.medsynth, shortened as CI runs it) into
# OUT/reports. Exits 0 without doing anything, and says so, when chromium is not installed
# (CI runs it when it is: scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:?usage: scripts/screenshots.sh OUT [REPORT.html...]}"
shift
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
    echo "screenshots.sh: no chromium here (Debian: apt-get install chromium); no screenshots taken"
    exit 0
fi
mkdir -p "$out"
reports=("$@")
if ((${#reports[@]} == 0)); then
    binary="$(swift build -c release --show-bin-path)/medsynth"
    "$binary" check notebooks/*.medsynth --set patients=12 --set ldm_steps=20 --set ddpm_steps=200 --set ae_steps=150 --cache "$out/cache" --report "$out/reports" \
        --junit "$out/junit.xml" > "$out/check.log"
    reports=("$out"/reports/*.html)
fi

for report in "${reports[@]}"; do
    name="$(basename "$report" .html)"
    # chromium's screenshot is its window: one taller than any course report (the rest is blank).
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
        --window-size=1000,12000 --screenshot="$out/$name.png" "file://$(realpath "$report")" > /dev/null 2>&1
    if [[ ! -s "$out/$name.png" ]]; then
        echo "screenshots.sh: chromium made no screenshot of $report" >&2
        exit 1
    fi
    echo "$out/$name.png"
done
