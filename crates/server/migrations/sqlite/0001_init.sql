-- Godkend schema, SQLite flavour. Keep equivalent to ../postgres/0001_init.sql.
-- Times are integer Unix seconds (server clock). JSON is stored as text.

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    display_name       TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    strikes            BIGINT NOT NULL DEFAULT 0,
    last_push_at       BIGINT NOT NULL DEFAULT 0,
    push_blocked_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE rps (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    api_key_hash TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);

CREATE TABLE activations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    code       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failures   BIGINT NOT NULL DEFAULT 0,
    used_at    BIGINT
);
CREATE INDEX activations_user ON activations (user_id);

CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    serial        TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    device_key    TEXT NOT NULL,
    pin_key       TEXT NOT NULL,
    uv_alg        TEXT,
    uv_key        TEXT,
    uv_kind       TEXT,
    status        TEXT NOT NULL,
    pin_failures  BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    status_at     BIGINT NOT NULL,
    last_seen_at  BIGINT
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE requests (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL,
    rp_id             TEXT NOT NULL,
    envelope          TEXT NOT NULL,
    request_hash      TEXT NOT NULL,
    code              TEXT NOT NULL,
    state             TEXT NOT NULL,
    code_failures     BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    exp               BIGINT NOT NULL,
    decided_at        BIGINT,
    decided_device_id TEXT,
    decision_hash     TEXT,
    result            TEXT,
    webhook_url       TEXT
);
CREATE INDEX requests_user_state ON requests (user_id, state);
CREATE INDEX requests_state_exp ON requests (state, exp);

-- Every decision envelope seen, accepted or rejected, with the answer it got:
-- a byte-identical resend gets the same answer and is not counted again.
CREATE TABLE decisions (
    decision_hash TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    http_status   BIGINT NOT NULL,
    body          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Device-request nonces of the last two minutes, shared by every node.
CREATE TABLE nonces (
    device_id  TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);

CREATE TABLE unlock_challenges (
    challenge  TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Signed push events per device, kept for Last-Event-ID resume and for other nodes.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_device ON events (device_id, id);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        BIGINT NOT NULL,
    event     TEXT NOT NULL,
    actor     TEXT NOT NULL,
    user_id   TEXT,
    device_id TEXT,
    ip        TEXT,
    detail    TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
