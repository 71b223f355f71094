#!/usr/bin/env bash
# Builds Godkend's packages from a clean tree: the app (`godkend`) and the server
# (`godkend-server`), then one package per format asked for, and prints each
# package's path and size. installers/README.md explains the packages.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib-package.sh
. "$GODKEND_ROOT/scripts/lib-package.sh"

usage() {
    cat <<'EOF'
Usage: scripts/package.sh FORMAT...

Formats:
  deb         godkend_VERSION-1_amd64.deb: the desktop app (cargo-deb)
  server-deb  godkend-server_VERSION-1_amd64.deb: the server with its systemd unit
  rpm         godkend-VERSION-1.x86_64.rpm and godkend-server-VERSION-1.x86_64.rpm
              (cargo-generate-rpm)
  appimage    Godkend-VERSION-x86_64.AppImage (the AppImage runtime + mksquashfs)
  nsis        godkend-VERSION-setup.exe: per-user Windows installer (makensis)
  msi         godkend-VERSION-x64.msi: per-machine Windows installer (wixl)
  macos-app   Godkend.app layout check only: the macOS binary cannot be built here
              (installers/macos/bundle.sh makes the real bundle on macOS)
  linux       deb server-deb rpm appimage
  windows     nsis msi
  all         every format above

Packages go to $GODKEND_PACKAGE_OUT (default: <cargo target dir>/packages), each with
a CycloneDX SBOM (PACKAGE.cdx.json), and a SHA256SUMS file for all of them. Missing
tools are installed: cargo-cyclonedx, cargo-deb and cargo-generate-rpm with
`cargo install --locked`; on Debian/Ubuntu the system tools with apt (squashfs-tools,
nsis, wixl, gcc-mingw-w64-x86-64); elsewhere the script names what to install.

Environment:
  GODKEND_PACKAGE_PROFILE  cargo profile of the binaries: dist (default; size-tuned,
                           slow to build), release, or debug (fast; CI's install tests)
  GODKEND_PACKAGE_OUT      output folder
  GODKEND_SKIP_APT=1       do not install system packages, only check they are there
  CARGO_TARGET_DIR         honoured
EOF
}

formats=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        deb | server-deb | rpm | appimage | nsis | msi | macos-app) formats+=("$1") ;;
        linux) formats+=(deb server-deb rpm appimage) ;;
        windows) formats+=(nsis msi) ;;
        all) formats+=(deb server-deb rpm appimage nsis msi macos-app) ;;
        *) usage >&2; die "unknown format: $1" ;;
    esac
    shift
done
[ ${#formats[@]} -gt 0 ] || { usage >&2; die "name at least one format"; }

cd "$GODKEND_ROOT"
# shellcheck disable=SC2119 # no components needed
need_rust
package_setup
started_at=$(now)

wants() {
    local f
    for f in "${formats[@]}"; do [ "$f" = "$1" ] && return 0; done
    return 1
}

# Tools first, so a missing one fails before the long builds.
need_cargo_tool cargo-cyclonedx 0.5.9
if wants deb || wants server-deb; then need_cargo_tool cargo-deb 3.8.0; fi
if wants rpm; then need_cargo_tool cargo-generate-rpm 0.21.1; fi
if wants appimage; then need_debian mksquashfs:squashfs-tools; fi
if wants nsis || wants msi; then
    need_debian x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64
    if wants nsis; then need_debian makensis:nsis; fi
    if wants msi; then need_debian wixl:wixl; fi
    need_windows_target
fi
if wants macos-app; then need_debian python3:python3; fi

# Each binary is built once and every package takes it from there.
if wants deb || wants server-deb || wants rpm || wants appimage; then
    build_linux_binaries
fi
if wants nsis || wants msi; then build_windows_binary; fi

for format in "${formats[@]}"; do
    case "$format" in
        deb) package_deb godkend ;;
        server-deb) package_deb godkend-server ;;
        rpm) package_rpms ;;
        appimage) package_appimage ;;
        nsis) package_nsis ;;
        msi) package_msi ;;
        macos-app) package_macos_app_check ;;
    esac
done

write_sboms
write_checksums
log "Packages ($GODKEND_PACKAGE_PROFILE profile, $(elapsed "$started_at")):"
print_packages
