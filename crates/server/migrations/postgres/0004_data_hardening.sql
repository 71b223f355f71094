-- Data hardening (issue 10). Keep equivalent to ../sqlite/0004_data_hardening.sql.

-- Activation codes are now stored sealed (see src/code_seal.rs). Codes issued before
-- this migration were stored in clear: they end here, and the admin issues new ones.
DELETE FROM activations;

-- Failed-attempt limits shared by every node (failed activations per source address
-- and per user), counted per fixed window.
CREATE TABLE attempt_limits (
    scope        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    failures     BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX attempt_limits_window ON attempt_limits (window_start);

-- Retention sweeps select by age.
CREATE INDEX decisions_created ON decisions (created_at);
CREATE INDEX requests_created ON requests (created_at);
CREATE INDEX audit_at ON audit (at);

-- The audit log stays append-only, except that an old row's IP address may be
-- blanked (retention of personal data); every other change is refused.
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.ip IS NULL
        AND NEW.id = OLD.id
        AND NEW.at = OLD.at
        AND NEW.event = OLD.event
        AND NEW.actor = OLD.actor
        AND NEW.user_id IS NOT DISTINCT FROM OLD.user_id
        AND NEW.device_id IS NOT DISTINCT FROM OLD.device_id
        AND NEW.detail IS NOT DISTINCT FROM OLD.detail
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
