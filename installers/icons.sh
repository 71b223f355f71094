#!/usr/bin/env bash
# Writes the icons the installers need beside the tray PNGs (resources/icons/png, drawn
# by the app's own icon code: `cargo run --example gen_icons`):
#   resources/icons/app/godkend-512.png  the largest size (AppImage, macOS), from the SVG
#   resources/icons/app/godkend.ico      Windows (exe, NSIS, MSI): 16-256 px
#   resources/icons/app/godkend.icns     macOS bundle: 16-512 px
# The outputs are committed, so packaging needs none of these tools; the test command
# (scripts/test-packages.sh) runs this into a scratch folder and compares.
# Tools (Debian/Ubuntu): librsvg2-bin (rsvg-convert), icoutils (icotool), icnsutils (png2icns).
# Usage: installers/icons.sh [OUT_DIR]   (default: resources/icons/app)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/resources/icons/app}
png=$root/resources/icons/png
mkdir -p "$out"
for tool in rsvg-convert:librsvg2-bin icotool:icoutils png2icns:icnsutils; do
    command -v "${tool%%:*}" >/dev/null ||
        { echo "error: ${tool%%:*} is missing (Debian/Ubuntu package: ${tool#*:})" >&2; exit 1; }
done
rsvg-convert -w 512 -h 512 "$root/resources/icons/svg/godkend-normal.svg" -o "$out/godkend-512.png"
icotool -c -o "$out/godkend.ico" "$png"/godkend-normal-{16,24,32,48,64,128,256}.png
# png2icns takes only the sizes the icns format has: 16, 32, 48, 128, 256, 512.
png2icns "$out/godkend.icns" "$png"/godkend-normal-{16,32,48,128,256}.png "$out/godkend-512.png" >/dev/null
