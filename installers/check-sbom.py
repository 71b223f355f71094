#!/usr/bin/env python3
"""Checks a package's CycloneDX SBOM (PACKAGE.cdx.json, made by scripts/package.sh).

Usage: check-sbom.py SBOM CRATE TARGET_OS

It must be CycloneDX JSON describing CRATE at the workspace's version, list the
crates the binary is built from (the protocol crate and ed25519-dalek for both, iced
for the app, sqlx for the server) and none of the other binary's, and only the
dependencies of TARGET_OS (linux or windows): windows-registry appears only in a
Windows SBOM, zbus only in a Linux one.
"""
import json
import sys


def fail(message):
    print(f"check-sbom: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 4:
        fail(__doc__.strip().splitlines()[2])
    path, crate, target_os = sys.argv[1:]
    with open(path, encoding="utf-8") as f:
        bom = json.load(f)
    if bom.get("bomFormat") != "CycloneDX":
        fail(f"{path}: not a CycloneDX document")
    component = bom.get("metadata", {}).get("component", {})
    if component.get("name") != crate:
        fail(f"{path}: describes {component.get('name')!r}, not {crate!r}")
    names = {c.get("name") for c in bom.get("components", [])}
    expected = {"godkend-protocol", "ed25519-dalek"}
    expected |= {"iced"} if crate == "godkend" else {"sqlx"}
    unexpected = {"sqlx"} if crate == "godkend" else {"iced"}
    if target_os == "windows":
        expected |= {"windows-registry"} if crate == "godkend" else set()
        unexpected |= {"zbus"}
    else:
        expected |= {"zbus"} if crate == "godkend" else set()
        unexpected |= {"windows-registry"}
    missing = sorted(expected - names)
    if missing:
        fail(f"{path}: lacks {', '.join(missing)}")
    extra = sorted(unexpected & names)
    if extra:
        fail(f"{path}: lists {', '.join(extra)}, which this binary does not contain")
    print(f"{path}: {crate} {component.get('version')}, {len(names)} components, for {target_os}")


if __name__ == "__main__":
    main()
