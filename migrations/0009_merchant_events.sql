-- Merchant events: every change of a payment's state, written in the same transaction as its
-- journal entry, so what the merchant is told (live feed, webhooks, portal) never depends on the
-- customer's screen and never disagrees with the books.
--
-- `seq` is global and increases in commit order: ledger transactions are serialised across
-- processes (the audit head lock), and events are written only inside them, each taking the
-- next number. The live feed resumes from it (`Last-Event-ID`). `id` is the public id a webhook
-- receiver deduplicates on. No column holds a secret or the customer's personal data.
CREATE TABLE merchant_events (
    seq                 BIGINT PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    merchant_id         TEXT NOT NULL,
    -- payment.succeeded, payment.held, payment.requires_confirmation, payment.refunded,
    -- payment.partially_refunded, payment.canceled, payment.voided.
    type                TEXT NOT NULL,
    payment_id          TEXT NOT NULL,
    store_id            TEXT NOT NULL,
    terminal_id         TEXT NOT NULL,
    method              TEXT NOT NULL,
    -- The payment's amount; for a refund event also the refund's.
    amount_minor        BIGINT NOT NULL,
    refund_id           TEXT NOT NULL DEFAULT '',
    refund_amount_minor BIGINT NOT NULL DEFAULT 0,
    -- The same code the customer's completion screen shows.
    confirmation_code   TEXT NOT NULL,
    reference           TEXT NOT NULL DEFAULT '',
    created_at_ms       BIGINT NOT NULL
);
CREATE INDEX merchant_events_merchant ON merchant_events (merchant_id, seq);
CREATE INDEX merchant_events_payment ON merchant_events (payment_id);
