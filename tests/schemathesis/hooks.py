"""Schemathesis hooks: real credentials for every call, and a tally of the answers.

Each operation is authenticated as its OpenAPI `security` requirement says:
- `rp_api_key`: `Authorization: Bearer <the RP's API key>`;
- `admin_token`: `Authorization: Bearer <the admin token>`;
- `device_signature`: a fresh `Authorization: Godkend <envelope>` header (PROTOCOL.md
  §3.1), signed with the activated device's Ed25519 key over the RFC 8785 form of the
  `device_request` payload. It is made as a `requests` auth, so it signs the exact
  method, path and query and body bytes that go on the wire, after schemathesis has
  serialised the case.

Bodies that name a user sometimes name the real one, so the fuzzing also reaches the
success paths (a request created, an activation code made) and not only the
`user_not_found` answers. A generated approval request is rarely valid in every other
member (its title, lifetime, webhook URL, amount...), and with some seeds none of the
ones that named the real user was, so the run saw no 2xx from the RP API at all; so a
request is sometimes also the smallest valid one, with the generated title and message
where the document allows them. `GET /v1/rp/requests/{id}` sometimes reads the request
made at set-up, for the same reason.

Every answer is counted per API (the operation's tag) and status into the JSON file
named by GODKEND_SCHEMATHESIS_TALLY, so the runner can print the figures and check that
the credentials really worked (some 2xx answers per API).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import os
import secrets
import time
from collections import Counter, defaultdict

import hypothesis.internal.lambda_sources
import requests
import rfc8785
import schemathesis
from hypothesis import strategies as st
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# CPython 3.11's ast.parse can fail with "SystemError: AST constructor recursion
# depth mismatch" when called deep in a stack (CPython gh-106905), and Hypothesis
# calls it to name a lambda when it prints a strategy while validating one; that
# ended a schemathesis phase with a runtime error here. Only that name is lost.
_lambda_description = hypothesis.internal.lambda_sources.lambda_description


def _lambda_description_or_placeholder(f):
    try:
        return _lambda_description(f)
    except SystemError:
        return "lambda"


hypothesis.internal.lambda_sources.lambda_description = _lambda_description_or_placeholder

with open(os.environ["GODKEND_SCHEMATHESIS_CREDENTIALS"], encoding="utf-8") as f:
    CREDENTIALS = json.load(f)
TALLY_PATH = os.environ["GODKEND_SCHEMATHESIS_TALLY"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class DeviceSignature(requests.auth.AuthBase):
    """The device request header of PROTOCOL.md §3.1 over the prepared request."""

    def __init__(self, device_id: str, seed: bytes) -> None:
        self.device_id = device_id
        self.key = Ed25519PrivateKey.from_private_bytes(seed)
        public = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.kid = b64url(hashlib.sha256(public).digest())[:16]

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        payload = {
            "v": 1,
            "type": "device_request",
            "iat": int(time.time()),
            "device_id": self.device_id,
            "method": r.method.upper(),
            "path": r.path_url,
            "nonce": b64url(secrets.token_bytes(32)),
            "body_sha256": b64url(hashlib.sha256(body).digest()),
        }
        signature = self.key.sign(rfc8785.dumps(payload))
        envelope = {"payload": payload, "signatures": [{"kid": self.kid, "alg": "ed25519", "sig": b64url(signature)}]}
        header = b64url(json.dumps(envelope, separators=(",", ":")).encode("utf-8"))
        r.headers["Authorization"] = f"Godkend {header}"
        return r


AUTHS = {
    "rp_api_key": Bearer(CREDENTIALS["rp_api_key"]),
    "admin_token": Bearer(CREDENTIALS["admin_token"]),
    "device_signature": DeviceSignature(CREDENTIALS["device_id"], b64url_decode(CREDENTIALS["device_seed"])),
}


def operation_auth(operation) -> requests.auth.AuthBase | None:
    for requirement in operation.definition.raw.get("security") or []:
        for scheme in requirement:
            if scheme in AUTHS:
                return AUTHS[scheme]
            raise RuntimeError(f"{operation.label}: unknown security scheme {scheme}")
    return None


# Operations whose body names a user, by operation id.
NAMES_A_USER = {"rp_create_request", "admin_create_activation"}




def operation_id(context) -> str | None:
    return context.operation.definition.raw.get("operationId")


def text_or(value, fallback: str, longest: int) -> str:
    """The generated text where the document allows it (not blank, not too long)."""
    if isinstance(value, str) and value.strip() and len(value) <= longest:
        return value
    return fallback


def valid_request(body: dict) -> dict:
    return {
        "user": CREDENTIALS["user"],
        "kind": "login",
        "title": text_or(body.get("title"), "Sign in to Fuzz Shop", 120),
        "message": text_or(body.get("message"), "", 1000),
    }


@schemathesis.hook
def flatmap_body(context, body):
    if operation_id(context) in NAMES_A_USER and isinstance(body, dict):
        choices = [body, {**body, "user": CREDENTIALS["user"]}]
        if operation_id(context) == "rp_create_request":
            choices.append(valid_request(body))
        return st.sampled_from(choices)
    return st.just(body)


@schemathesis.hook
def flatmap_path_parameters(context, parameters):
    if operation_id(context) == "rp_get_request" and isinstance(parameters, dict):
        return st.sampled_from([parameters, {**parameters, "id": CREDENTIALS["request_id"]}])
    return st.just(parameters)


@schemathesis.hook
def before_call(context, case, kwargs):
    auth = operation_auth(case.operation)
    if auth is not None:
        # Set on the prepared request, after the case's own headers: the valid
        # credential replaces whatever Authorization value was generated.
        kwargs["auth"] = auth


TALLY: dict[str, Counter] = defaultdict(Counter)


@schemathesis.hook
def after_call(context, case, response):
    tags = case.operation.definition.raw.get("tags") or ["untagged"]
    TALLY[tags[0]][str(response.status_code)] += 1


@atexit.register
def write_tally() -> None:
    with open(TALLY_PATH, "w", encoding="utf-8") as out:
        json.dump({api: dict(statuses) for api, statuses in TALLY.items()}, out, sort_keys=True)

