-- Message bodies are now sealed (AES-256-GCM, bound to the message id) from the moment they are
-- queued, replaced by a redaction marker once delivered, and purged after a retention period.
-- Bodies written before this version are plaintext and cannot be sealed here (the key is not in
-- the database), so they are redacted: a message still waiting is marked dead rather than sent
-- from a body the worker could no longer tell from a forged one.

UPDATE outbox
SET body = '[redacted: queued before bodies were sealed]',
    last_error = CASE WHEN status = 'pending' THEN 'queued before bodies were sealed; not sent' ELSE last_error END,
    status = CASE WHEN status = 'pending' THEN 'dead' ELSE status END,
    locked_until_ms = 0;

-- The dev mailbox is a development convenience; its plaintext copies go.
DELETE FROM dev_mailbox;

-- Stored HTTP idempotency responses could hold session tokens, TOTP secrets and recovery codes
-- in the clear, under scopes that ignored the caller; the new scopes are keyed hashes, so the
-- old rows could never be matched again anyway.
DELETE FROM http_idempotency;

-- For the retention purge: delivered rows by delivery time, dead ones by queue time, their
-- attempts by message, and the dev mailbox by delivery time.
CREATE INDEX outbox_delivered_at ON outbox (delivered_at_ms);
CREATE INDEX outbox_created_at ON outbox (created_at_ms);
CREATE INDEX outbox_attempts_outbox ON outbox_attempts (outbox_id);
CREATE INDEX dev_mailbox_delivered_at ON dev_mailbox (delivered_at_ms);
