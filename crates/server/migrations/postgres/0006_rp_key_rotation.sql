-- Relying-party API key rotation (issue 14). Keep equivalent to ../sqlite/0006_rp_key_rotation.sql.

-- The key a rotation replaced (its SHA-256, like api_key_hash) keeps working until
-- previous_key_expires_at (Unix seconds), so the relying party can switch without
-- an outage. One previous key at most: a further rotation drops it at once.
ALTER TABLE rps ADD COLUMN previous_key_hash TEXT;
ALTER TABLE rps ADD COLUMN previous_key_expires_at BIGINT;
CREATE UNIQUE INDEX rps_previous_key_hash ON rps (previous_key_hash);
