-- Wallets and customer-presented payments.

-- A wallet's three balances, each its own ledger account: money (identity-verified funds,
-- sendable and withdrawable later), lite (prepaid, never withdrawable) and points.
CREATE TABLE wallets (
    user_id             TEXT PRIMARY KEY,
    money_account_id    TEXT NOT NULL,
    lite_account_id     TEXT NOT NULL,
    points_account_id   TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL
);

-- A signed-in device that can show one-time payment codes without a network round trip. Its
-- secret is sealed; a code is an HMAC over the device number, a counter that must increase, and
-- the time. The device dies with its session (or a lock of the account).
CREATE TABLE payment_devices (
    id              TEXT PRIMARY KEY,
    -- What a code names (short, for the numeric form on barcode tills).
    number          BIGINT NOT NULL UNIQUE,
    user_id         TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    sealed_secret   TEXT NOT NULL,
    -- The highest counter a payment has used: a code must carry a higher one.
    last_counter    BIGINT NOT NULL DEFAULT 0,
    created_at_ms   BIGINT NOT NULL,
    revoked_at_ms   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX payment_devices_user ON payment_devices (user_id);

CREATE TABLE payments (
    id                  TEXT PRIMARY KEY,
    merchant_id         TEXT NOT NULL,
    store_id            TEXT NOT NULL,
    pos_key_id          TEXT NOT NULL,
    terminal_id         TEXT NOT NULL,
    customer_user_id    TEXT NOT NULL,
    -- customer_presented or merchant_presented.
    method              TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    points_minor        BIGINT NOT NULL,
    lite_minor          BIGINT NOT NULL,
    money_minor         BIGINT NOT NULL,
    fee_minor           BIGINT NOT NULL,
    fee_tax_minor       BIGINT NOT NULL,
    -- succeeded, requires_confirmation, held, failed, canceled, refunded, partially_refunded.
    status              TEXT NOT NULL,
    -- What the decision point said (allow, challenge, hold, deny) and why.
    decision            TEXT NOT NULL,
    decision_reason     TEXT NOT NULL DEFAULT '',
    -- The ledger command's idempotency key: one code, one payment.
    ledger_key          TEXT NOT NULL UNIQUE,
    entry_id            TEXT NOT NULL DEFAULT '',
    -- Shown on the customer's completion screen and in the portal, to tell a fake screen.
    confirmation_code   TEXT NOT NULL,
    reference           TEXT NOT NULL DEFAULT '',
    -- What refunds have given back, in all and per part (never more than was paid).
    refunded_minor          BIGINT NOT NULL DEFAULT 0,
    refunded_points_minor   BIGINT NOT NULL DEFAULT 0,
    refunded_lite_minor     BIGINT NOT NULL DEFAULT 0,
    refunded_money_minor    BIGINT NOT NULL DEFAULT 0,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL
);
CREATE INDEX payments_merchant ON payments (merchant_id, created_at_ms);
CREATE INDEX payments_customer ON payments (customer_user_id, created_at_ms);

-- Nonces of signed POS requests seen in the last few minutes: a replay is refused.
CREATE TABLE pos_nonces (
    key_id      TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    seen_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX pos_nonces_seen ON pos_nonces (seen_at_ms);

-- Refunds, each written with its journal entry (receivable back to the parts it was paid from).
CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,
    payment_id      TEXT NOT NULL REFERENCES payments (id),
    amount_minor    BIGINT NOT NULL,
    points_minor    BIGINT NOT NULL,
    lite_minor      BIGINT NOT NULL,
    money_minor     BIGINT NOT NULL,
    -- Who asked: a member of staff's user id, or a POS key's id.
    created_by      TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    ledger_key      TEXT NOT NULL UNIQUE,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id);
