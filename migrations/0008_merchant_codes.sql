-- Merchant-presented payments: the platform's keys that sign store codes, the dynamic codes a
-- POS asks for (payment requests), and the wallets' scans awaiting confirmation.

-- Ed25519 keys that sign merchant-presented codes (docs/MERCHANT-CODES.md). One key signs new
-- codes ('active'); a rotated key still verifies the codes it signed ('verifying') until an
-- operator retires it ('retired': its codes are refused).
CREATE TABLE qr_signing_keys (
    id              TEXT PRIMARY KEY,
    -- The 32-byte private seed, sealed by the server's credential key and bound to the key id.
    sealed_seed     TEXT NOT NULL,
    -- The public key (hex): not a secret.
    public_key      TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    rotated_at_ms   BIGINT NOT NULL DEFAULT 0,
    retired_at_ms   BIGINT NOT NULL DEFAULT 0
);
-- At most one active key, whatever number of servers start at once on an empty table.
CREATE UNIQUE INDEX qr_signing_keys_one_active ON qr_signing_keys (status) WHERE status = 'active';

-- A dynamic code: one sale, one amount, single use, short-lived.
CREATE TABLE payment_requests (
    id              TEXT PRIMARY KEY,
    -- The one-time reference in the code (62/05).
    reference       TEXT NOT NULL UNIQUE,
    merchant_id     TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    -- The POS key (pk_…) or member of staff (usr_…) who asked for it.
    created_by      TEXT NOT NULL,
    terminal_id     TEXT NOT NULL,
    amount_minor    BIGINT NOT NULL,
    -- The merchant's own reference for the sale (an order number).
    order_reference TEXT NOT NULL DEFAULT '',
    -- open, paid, canceled (an open one past expires_at_ms is expired).
    status          TEXT NOT NULL,
    payment_id      TEXT NOT NULL DEFAULT '',
    -- The signed code itself: shown to anyone at the till, so not a secret.
    payload         TEXT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL
);
CREATE INDEX payment_requests_merchant ON payment_requests (merchant_id, created_at_ms);

-- A code a wallet scanned and the server checked, awaiting the customer's confirmation.
CREATE TABLE mpm_scans (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    merchant_id     TEXT NOT NULL,
    store_id        TEXT NOT NULL,
    -- The payment request of a dynamic code; empty for a store's static code.
    request_id      TEXT NOT NULL DEFAULT '',
    -- A dynamic code's amount; 0 for a static code (the customer enters it).
    amount_minor    BIGINT NOT NULL DEFAULT 0,
    key_id          TEXT NOT NULL,
    -- open or paid.
    status          TEXT NOT NULL,
    payment_id      TEXT NOT NULL DEFAULT '',
    expires_at_ms   BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX mpm_scans_user ON mpm_scans (user_id, created_at_ms);
