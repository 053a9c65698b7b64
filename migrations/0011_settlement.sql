-- Daily settlement and payouts (issue 7 item 9). See docs/SETTLEMENT.md.

-- Which settlement took a payment or a refund in. NULL until then; set by the settlement's own
-- journal transaction, so an item is settled once and an item committed late (its created_at
-- before a cut-off already settled) is taken by the next settlement rather than lost.
ALTER TABLE payments ADD COLUMN settlement_id TEXT;
ALTER TABLE refunds ADD COLUMN settlement_id TEXT;
CREATE INDEX payments_unsettled ON payments (merchant_id, settlement_id, created_at_ms);
CREATE INDEX refunds_unsettled ON refunds (settlement_id, created_at_ms);

-- A merchant's payable: what settlements owe it until a payout leaves (ledger account).
CREATE TABLE settlement_accounts (
    merchant_id         TEXT PRIMARY KEY,
    payable_account_id  TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL
);

-- One per merchant per business day (Japan time), whatever runs it and however often.
CREATE TABLE settlements (
    id                  TEXT PRIMARY KEY,
    merchant_id         TEXT NOT NULL,
    -- YYYY-MM-DD: the business day that ends at `cutoff_ms`.
    business_day        TEXT NOT NULL,
    cutoff_ms           BIGINT NOT NULL,
    -- settled (a journal moved the net to the payable) or carried_over (net <= 0: nothing moved,
    -- its payments and refunds stay unsettled and roll into the next day's settlement).
    status              TEXT NOT NULL,
    payments_count      BIGINT NOT NULL,
    refunds_count       BIGINT NOT NULL,
    gross_minor         BIGINT NOT NULL,
    refunds_minor       BIGINT NOT NULL,
    fee_minor           BIGINT NOT NULL,
    fee_tax_minor       BIGINT NOT NULL,
    net_minor           BIGINT NOT NULL,
    entry_id            TEXT NOT NULL DEFAULT '',
    created_at_ms       BIGINT NOT NULL,
    UNIQUE (merchant_id, business_day)
);
CREATE INDEX settlements_day ON settlements (business_day);

-- The money of one settlement on its way to the merchant's bank account.
CREATE TABLE payouts (
    id                  TEXT PRIMARY KEY,
    settlement_id       TEXT NOT NULL UNIQUE,
    merchant_id         TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    -- held (no usable payout account, or the merchant is not active), sent (in a transfer file;
    -- the money is in payout clearing), paid, returned (back in the merchant's payable).
    status              TEXT NOT NULL,
    held_reason         TEXT NOT NULL DEFAULT '',
    payout_account_id   TEXT NOT NULL DEFAULT '',
    bank_code           TEXT NOT NULL DEFAULT '',
    branch_code         TEXT NOT NULL DEFAULT '',
    account_type        TEXT NOT NULL DEFAULT '',
    account_number      TEXT NOT NULL DEFAULT '',
    holder_name         TEXT NOT NULL DEFAULT '',
    file_id             TEXT NOT NULL DEFAULT '',
    -- MMDD of the file's 振込指定日, fixed when the payout joins a file.
    transfer_date       TEXT NOT NULL DEFAULT '',
    -- The bank's result code (0 paid; 1 no such account, 2 name differs, 3 closed, 9 other).
    result_code         BIGINT,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL
);
CREATE INDEX payouts_merchant ON payouts (merchant_id, created_at_ms);
CREATE INDEX payouts_status ON payouts (status, file_id);

-- A Zengin total-transfer file as sent to the bank (kept for reconciliation and audit).
CREATE TABLE payout_files (
    id                  TEXT PRIMARY KEY,
    -- The bank's id for it; the bank derives it from the bytes, so a resend is the same file.
    bank_file_id        TEXT NOT NULL DEFAULT '',
    -- The file, hex-encoded (JIS X 0201 bytes).
    contents_hex        TEXT NOT NULL,
    records             BIGINT NOT NULL,
    total_minor         BIGINT NOT NULL,
    -- built, sent, decided.
    status              TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL
);
