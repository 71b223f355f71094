-- Durable webhook delivery: a final request with a webhook URL is due at
-- webhook_next_at until delivered (then NULL) or given up.
ALTER TABLE requests ADD COLUMN webhook_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN webhook_next_at BIGINT;
ALTER TABLE requests ADD COLUMN webhook_delivered_at BIGINT;
CREATE INDEX requests_webhook_due ON requests (webhook_next_at);
