-- Merchants: who may take payments. A merchant is proposed by one operator and approved by
-- another (four eyes); staff are identity accounts whose `org_ref` is the merchant's id.

CREATE TABLE merchants (
    id                  TEXT PRIMARY KEY,
    -- Sequential, for the fixed-width merchant level of the JPQR-shaped template (13 digits).
    number              BIGINT NOT NULL UNIQUE,
    legal_name          TEXT NOT NULL,
    legal_name_kana     TEXT NOT NULL,
    -- ISO 18245 merchant category code, four digits.
    mcc                 TEXT NOT NULL,
    -- pending_review, active, suspended, rejected.
    status              TEXT NOT NULL,
    status_reason       TEXT NOT NULL DEFAULT '',
    -- Fee on each payment in basis points (260 = 2.6%), before consumption tax.
    fee_rate_bp         BIGINT NOT NULL,
    contact_email       TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    reviewed_by         TEXT NOT NULL DEFAULT '',
    reviewed_at_ms      BIGINT NOT NULL DEFAULT 0,
    -- The ledger account holding what the platform owes the merchant (opened at approval).
    receivable_account_id TEXT NOT NULL DEFAULT ''
);

CREATE TABLE merchant_stores (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    -- 1 to 9999 within the merchant, for the store level of the template.
    number          BIGINT NOT NULL,
    name            TEXT NOT NULL,
    postal_code     TEXT NOT NULL,
    address         TEXT NOT NULL,
    -- open or closed.
    status          TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    UNIQUE (merchant_id, number)
);

-- Where payouts go. At most one `active` and one `pending` row per merchant: a change waits
-- out a delay as `pending` and then replaces the active one (which becomes `replaced`).
CREATE TABLE merchant_payout_accounts (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    bank_code       TEXT NOT NULL,
    branch_code     TEXT NOT NULL,
    -- ordinary, current or savings (Zengin deposit types 1, 2, 4).
    account_type    TEXT NOT NULL,
    account_number  TEXT NOT NULL,
    -- The holder name in Zengin form (half-width kana), as the bank will see it.
    holder_name     TEXT NOT NULL,
    -- exact: the holder name matches the merchant's legal name on the Zengin key; review: it
    -- does not, and an operator must look before any payout goes there (approved or rejected).
    name_check      TEXT NOT NULL,
    -- pending, active, replaced, cancelled.
    status          TEXT NOT NULL,
    effective_at_ms BIGINT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX merchant_payout_accounts_merchant ON merchant_payout_accounts (merchant_id, status);
CREATE UNIQUE INDEX merchant_payout_one_active ON merchant_payout_accounts (merchant_id) WHERE status = 'active';
CREATE UNIQUE INDEX merchant_payout_one_pending ON merchant_payout_accounts (merchant_id) WHERE status = 'pending';

-- POS API keys, one store each. The key is shown once; the table keeps its digest (to find it)
-- and its signing secret sealed under the server key (HMAC request signatures need the secret
-- itself, so a hash alone cannot verify them).
CREATE TABLE pos_keys (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    store_id        TEXT NOT NULL REFERENCES merchant_stores (id),
    label           TEXT NOT NULL,
    digest          TEXT NOT NULL UNIQUE,
    sealed_secret   TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    revoked_at_ms   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pos_keys_merchant ON pos_keys (merchant_id);

CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    url             TEXT NOT NULL,
    -- enabled or disabled.
    status          TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id);

-- Signing secrets, sealed. During a rotation the old secret keeps signing beside the new one
-- until `retires_at_ms` (0: current), so receivers can switch without missing an event.
CREATE TABLE webhook_secrets (
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    version         BIGINT NOT NULL,
    sealed_secret   TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    retires_at_ms   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (endpoint_id, version)
);
