"""Sets up real credentials for the schemathesis run, through the server's own APIs.

With the admin token (admin API) it adds a user and a relying party (whose API key
it keeps) and makes an activation code; then it activates a device over
`POST /v1/device/activate` exactly as the app does (PROTOCOL.md §5.2): a fresh
Ed25519 device key and PIN key, the HMAC proof over the RFC 8785 form, and a check
of the server's signed answer. Finally the RP creates one approval request, so the
device's pending list and event stream have something real to carry.

Writes everything the hooks need to the JSON file named on the command line (mode
0600: it holds a device key and API keys, test ones, in the run's temp dir).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys

import requests
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

USER = "fuzz-user@example.com"
RP_ID = "fuzz-shop"
TIMEOUT = 10


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def normalise_code(code: str) -> str:
    """PROTOCOL.md §5.1: keep ASCII letters and digits, upper-cased."""
    return "".join(c for c in code if c.isascii() and c.isalnum()).upper()


def expect(response: requests.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        sys.exit(f"setup: {what} answered {response.status_code}: {response.text}")
    return response.json()


def verify_envelope(envelope: dict, server_key: bytes, expected_type: str) -> dict:
    """PROTOCOL.md §2.1 for one ed25519 key: the signature over JCS(payload)."""
    payload = envelope["payload"]
    kid = b64url(hashlib.sha256(server_key).digest())[:16]
    entry = next(s for s in envelope["signatures"] if s["kid"] == kid)
    Ed25519PublicKey.from_public_bytes(server_key).verify(b64url_decode(entry["sig"]), rfc8785.dumps(payload))
    if payload.get("v") != 1 or payload.get("type") != expected_type:
        sys.exit(f"setup: expected a {expected_type} envelope, got {payload.get('type')}")
    return payload


def main() -> None:
    base_url, admin_token, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
    http = requests.Session()
    admin = {"Authorization": f"Bearer {admin_token}"}

    expect(http.post(f"{base_url}/v1/admin/users", json={"user": USER}, headers=admin, timeout=TIMEOUT), 201, "add user")
    rp = expect(
        http.post(
            f"{base_url}/v1/admin/rps",
            json={"rp_id": RP_ID, "name": "Fuzz Shop", "origins": ["https://shop.example"]},
            headers=admin,
            timeout=TIMEOUT,
        ),
        201,
        "add RP",
    )
    activation = expect(
        http.post(f"{base_url}/v1/admin/activations", json={"user": USER}, headers=admin, timeout=TIMEOUT),
        201,
        "create activation",
    )

    info = expect(http.get(f"{base_url}/v1/server-info", timeout=TIMEOUT), 200, "server-info")
    server_key = b64url_decode(info["info"]["payload"]["server_key"])
    verify_envelope(info["info"], server_key, "server_info")

    device_key = Ed25519PrivateKey.generate()
    pin_key = Ed25519PrivateKey.generate()
    fields = {
        "user": USER,
        "device_key": b64url(raw_public(device_key)),
        "pin_key": b64url(raw_public(pin_key)),
        "server_key": b64url(server_key),
    }
    code = normalise_code(activation["code"]).encode("utf-8")
    proof = hmac.new(code, rfc8785.dumps({"role": "device", **fields}), hashlib.sha256).digest()
    answer = expect(
        http.post(
            f"{base_url}/v1/device/activate",
            json={**fields, "device_name": "schemathesis", "proof": b64url(proof)},
            timeout=TIMEOUT,
        ),
        200,
        "activate",
    )
    activated = verify_envelope(answer["activation"], server_key, "activation")
    server_proof = hmac.new(
        code,
        rfc8785.dumps(
            {
                "role": "server",
                "user": USER,
                "device_id": activated["device_id"],
                "device_key": fields["device_key"],
                "server_key": fields["server_key"],
            }
        ),
        hashlib.sha256,
    ).digest()
    if not hmac.compare_digest(b64url_decode(activated["proof"]), server_proof):
        sys.exit("setup: the server's activation proof does not verify")

    rp_headers = {"Authorization": f"Bearer {rp['api_key']}"}
    created = expect(
        http.post(
            f"{base_url}/v1/rp/requests",
            json={"user": USER, "kind": "login", "title": "Sign in to Fuzz Shop", "message": "Sign in", "ttl_seconds": 600},
            headers=rp_headers,
            timeout=TIMEOUT,
        ),
        201,
        "create approval request",
    )

    credentials = {
        "admin_token": admin_token,
        "rp_api_key": rp["api_key"],
        "user": USER,
        "rp_id": RP_ID,
        "device_id": activated["device_id"],
        "device_seed": b64url(device_key.private_bytes_raw()),
        "request_id": created["request_id"],
    }
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(credentials, out)
    print(
        f"setup: user {USER}, RP {RP_ID}, device {activated['device_id']} "
        f"(serial {activated['serial']}), pending request {created['request_id']}"
    )


if __name__ == "__main__":
    main()
