#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ from the protocol's test vectors
(crates/protocol/test-vectors) and a few hand-made examples. Run from anywhere:
    python3 fuzz/gen_corpus.py
The output is committed; run again when the vectors or the targets' input formats
change. Each seed is named by what it is, so a reader can tell them apart."""

import json
import pathlib
import shutil

FUZZ = pathlib.Path(__file__).resolve().parent
VECTORS = FUZZ.parent / "crates" / "protocol" / "test-vectors"
CORPUS = FUZZ / "corpus"


def vectors(name):
    return json.loads((VECTORS / f"{name}.json").read_text())


def envelope(case):
    return {
        "payload": case["object"],
        "signatures": [
            {"kid": s["kid"], "alg": s["alg"], "sig": s["signature"]}
            for s in case["signatures"]
        ],
    }


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (folder / name).write_bytes(data)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)

    # Envelopes: good ones of each signature algorithm, a tampered one, and the
    # device's Authorization header form.
    decision = vectors("decision")
    write("envelope", "decision_ed25519", compact(envelope(decision[0])))
    write("envelope", "decision_rs256", compact(envelope(decision[1])))
    write("envelope", "decision_es256", compact(envelope(decision[2])))
    heartbeat = vectors("heartbeat")
    write("envelope", "heartbeat", json.dumps(envelope(heartbeat[0]), indent=1))
    write("envelope", "heartbeat_tampered", compact(envelope(heartbeat[1])))
    write("envelope", "server_info_rotated", compact(envelope(vectors("server_info")[1])))
    write("envelope", "device_request_header", vectors("device_request")[0]["authorization"])

    # Canonical JSON: signed objects, plus numbers and keys that test the RFC.
    write("canonical_json", "approval_request_payment", compact(vectors("approval_request")[1]["object"]))
    write("canonical_json", "rp_result", json.dumps(vectors("rp_result")[0]["object"], indent=2))
    write("canonical_json", "numbers", "[1.0, 1e21, 1e-7, 0.1, -0.0, 100, 9007199254740993, -5e-324]")
    write("canonical_json", "keys", '{"\\ue000": 1, "\\ud83d\\ude00": 2, "b": [true, null], "a": {"\\u00e6": "\\n\\u0001"}}')

    # Activation links.
    write("activation_link", "full", "godkend://activate?server=https%3A%2F%2Fauth.example.com%2F&user=alice%40example.com&code=ABCD-EFGH-JKMN-PQRS&fp=ti6Gf6LzOv5i1dax")
    write("activation_link", "loopback_no_fp", "  godkend://activate?server=http://127.0.0.1:8080&user=bob&code=abcd efgh jkmn pqrs\n")
    write("activation_link", "missing_code", "godkend://activate?server=https://a.example&user=u&code=")

    # SSE streams: [n] [n % 8 cut positions] then the body as the server sends it.
    def event(name, case, event_id):
        return f"event: {name}\nid: {event_id}\ndata: {compact(envelope(case))}\n\n"

    sse = [
        ("heartbeat", b"\x00", event("heartbeat", heartbeat[0], 1)),
        ("closed_cut", b"\x03\x10\x40\x07", event("request_closed", vectors("request_closed")[0], 2)),
        ("revoked", b"\x01\x20", event("device_status", vectors("device_status")[0], 3)),
        ("active_status", b"\x00", event("device_status", vectors("device_status")[2], 4)),
        ("policy", b"\x00", event("policy", vectors("server_info")[0], 5)),
        ("request_crlf", b"\x02\x05\x50", event("request_created", vectors("approval_request")[0], 6).replace("\n", "\r\n")),
        # Regression: a leading byte-order mark, cut inside its three bytes.
        ("bom_split", b"\x01\x02", "\ufeff" + event("heartbeat", heartbeat[0], 8)),
        ("comment_retry_mixed", b"\x00", ": keep-alive\nretry: 3000\n\n" + event("heartbeat", heartbeat[1], 7) + event("request_closed", vectors("request_closed")[1], "x")),
    ]
    for name, head, body in sse:
        write("sse_events", name, head + body.encode())

    # The app's files.
    server_key = next(s for s in heartbeat[0]["signatures"])
    write("config_file", "config", f'''version = 1

[[accounts]]
server_url = "https://auth.example.com/"
server_key = "{server_key["public_key"]}"
server_kid = "{server_key["kid"]}"
user = "alice@example.com"
device_id = "dev-5c1f0e7a"
serial = "GK-4821-0937-5519"
clock_offset_seconds = -3

[accounts.pin]
salt = "c2FsdHNhbHRzYWx0c2FsdA"

[accounts.pin.argon2]
m_kib = 19456
t = 2
p = 1

[accounts.org]
name = "Example Bank A/S"
support_email = "support@example.com"
support_url = "https://example.com/help"

[accounts.version_policy]
latest = "0.2.0"
minimum = "0.1.0"
''')
    write("config_file", "settings", '''version = 1
lock_on_close = false
notifications = true
start_at_login = "yes"
language = "da"
theme = "dark"
guide_shown = true
''')

    # Server bodies: an RP's request, an activation, a device's decision, origins.
    write("server_bodies", "create_request", compact({
        "user": "alice@example.com", "kind": "payment", "title": "Pay",
        "message": "Pay Example Shop", "amount": {"value": "1250.00", "currency": "DKK"},
        "payee": "Example Shop", "context": {"ip": "203.0.113.7"}, "code_length": 6,
        "user_verification": "any", "ttl_seconds": 120,
        "webhook_url": "https://rp.example/hook", "origin_binding": "preferred",
    }))
    write("server_bodies", "activation_request", compact({
        "user": "alice@example.com", "device_key": "7UkoxijRwsbq6QM4kFmVYSlZJzpcY_k2NsFGFKyHN9E",
        "pin_key": "ypOsFwUYcHHWe4PH_w7-gQjo7EUwV113JoeTM9vavnw",
        "server_key": server_key["public_key"], "device_name": "laptop",
        "proof": "Daxop_po_GlfFEaNGM-isTqygCDQbq8q-D_1Iz6xT3A",
    }))
    write("server_bodies", "decision", compact(envelope(decision[0])))
    write("server_bodies", "unlock", compact(envelope(vectors("unlock")[0])))
    write("server_bodies", "pin_change", compact(envelope(vectors("pin_change")[0])))

    # Admin API bodies: one of each as the admin CLI's docs show them, origins that
    # normalise to duplicates, an id outside the rules, the rotation's default.
    origins = ["https://Shop.Example", "https://shop.example:443/", "http://xn--bcher-kva.example:8080", "https://bücher.example"]
    write("admin_bodies", "new_user", compact({"user": "alice@example.com", "name": "Alice Jensen"}))
    write("admin_bodies", "new_user_bad_id", compact({"user": "alice smith\u001b[31m"}))
    write("admin_bodies", "new_activation", compact({"user": "bob+work@example.com"}))
    write("admin_bodies", "new_rp", compact({"rp_id": "shop", "name": "Example Shop", "origins": origins}))
    write("admin_bodies", "new_rp_no_origins", compact({"rp_id": "bank.example", "name": "  "}))
    write("admin_bodies", "rp_update", compact({"origins": origins}))
    write("admin_bodies", "rotate_key", compact({"overlap_seconds": 2592000}))
    write("admin_bodies", "rotate_key_default", "{}")


if __name__ == "__main__":
    main()
