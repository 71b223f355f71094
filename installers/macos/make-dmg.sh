#!/usr/bin/env bash
# Makes the compressed disk image users download, from a built (and, for a release,
# signed) Godkend.app: the app and a link to /Applications to drag it onto. macOS
# only (hdiutil). Sign and notarise the .dmg afterwards: installers/README.md.
# Usage: installers/macos/make-dmg.sh APP OUT.dmg VERSION
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 APP OUT.dmg VERSION" >&2; exit 2; }
app=$1 dmg=$2 version=$3
[ -d "$app/Contents/MacOS" ] || { echo "$0: $app is not an app bundle" >&2; exit 1; }
command -v hdiutil >/dev/null || { echo "$0: hdiutil not found: the .dmg is made on macOS" >&2; exit 1; }
stage=$(mktemp -d "${TMPDIR:-/tmp}/godkend-dmg.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# ditto keeps the bundle's signature, extended attributes and symlinks intact.
ditto "$app" "$stage/Godkend.app"
ln -s /Applications "$stage/Applications"
rm -f "$dmg"
hdiutil create -volname "Godkend $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
hdiutil verify "$dmg"
echo "$dmg"
