-- Which step-up challenge confirms which challenged payment: a factor given for one payment
-- never approves another. Waiting payments are found by status for the analysts and the expiry.
CREATE TABLE payment_confirmations (
    payment_id      TEXT PRIMARY KEY,
    challenge_id    TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    used_at_ms      BIGINT
);
CREATE INDEX payments_waiting ON payments (status, created_at_ms);
