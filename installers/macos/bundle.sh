#!/usr/bin/env bash
# Assembles Godkend.app around a macOS executable (built on macOS:
# `cargo build --profile dist --target aarch64-apple-darwin -p godkend`, or a `lipo`
# universal binary). Signing, notarisation and the .dmg: installers/README.md.
# Usage: installers/macos/bundle.sh EXECUTABLE OUT.app VERSION
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 EXECUTABLE OUT.app VERSION" >&2; exit 2; }
exe=$1 app=$2 version=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
sed "s/@VERSION@/$version/g" "$here/Info.plist" >"$app/Contents/Info.plist"
printf 'APPL????' >"$app/Contents/PkgInfo"
cp "$exe" "$app/Contents/MacOS/godkend"
chmod 755 "$app/Contents/MacOS/godkend"
cp "$root/resources/icons/app/godkend.icns" "$app/Contents/Resources/godkend.icns"
