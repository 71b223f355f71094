#!/usr/bin/env python3
"""Checks a Godkend.app bundle: Info.plist keys (URL scheme, LSUIElement, version),
the executable and the icon. Usage: check-bundle.py [--stand-in] APP VERSION
(--stand-in: the executable is a script standing in for the macOS build, which
cannot be made off macOS; otherwise it must be a Mach-O binary)."""
import os
import plistlib
import sys

MACHO_MAGIC = {b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"}  # 64-bit, universal


def check(app: str, version: str, stand_in: bool) -> list[str]:
    problems = []
    contents = os.path.join(app, "Contents")
    with open(os.path.join(contents, "Info.plist"), "rb") as f:
        info = plistlib.load(f)
    want = {
        "CFBundleExecutable": "godkend",
        "CFBundleIdentifier": "dev.godkend.Godkend",
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundleIconFile": "godkend.icns",
        "LSUIElement": True,
    }
    for key, value in want.items():
        if info.get(key) != value:
            problems.append(f"Info.plist {key} = {info.get(key)!r}, want {value!r}")
    schemes = [s for t in info.get("CFBundleURLTypes", []) for s in t.get("CFBundleURLSchemes", [])]
    if "godkend" not in schemes:
        problems.append(f"Info.plist registers no godkend:// scheme (schemes: {schemes})")
    exe = os.path.join(contents, "MacOS", info.get("CFBundleExecutable", ""))
    if not os.access(exe, os.X_OK):
        problems.append(f"{exe} is missing or not executable")
    elif not stand_in:
        with open(exe, "rb") as f:
            if f.read(4) not in MACHO_MAGIC:
                problems.append(f"{exe} is not a Mach-O executable")
    icon = os.path.join(contents, "Resources", info.get("CFBundleIconFile", ""))
    with open(icon, "rb") as f:
        if f.read(4) != b"icns":
            problems.append(f"{icon} is not an icns file")
    with open(os.path.join(contents, "PkgInfo"), "rb") as f:
        if f.read() != b"APPL????":
            problems.append("PkgInfo is not APPL????")
    return problems


def main() -> int:
    args = sys.argv[1:]
    stand_in = "--stand-in" in args
    args = [a for a in args if a != "--stand-in"]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(args[0], args[1], stand_in)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    if not problems:
        print(f"{args[0]}: Info.plist, executable, icon and PkgInfo are as expected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
