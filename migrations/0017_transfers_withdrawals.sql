-- Transfers between wallets (money balance only), requests for money, and withdrawals to a bank
-- account in the holder's own name.

-- One row per transfer, written in the ledger's transaction with its journal entry.
CREATE TABLE transfers (
    id                  TEXT PRIMARY KEY,
    payer_user_id       TEXT NOT NULL,
    payee_user_id       TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    message             TEXT NOT NULL DEFAULT '',
    -- The request this transfer paid ('' for a transfer the payer started).
    money_request_id    TEXT NOT NULL DEFAULT '',
    -- 1 when the amount is within 10% under the per-transfer cap: splitting to stay under a cap
    -- is a signal AML monitoring reads (PAYMENTS-DOMAIN "What Anshin does" 10).
    near_cap            BIGINT NOT NULL DEFAULT 0,
    -- 1 when a fresh second factor was spent on it.
    stepped_up          BIGINT NOT NULL DEFAULT 0,
    entry_id            TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL
);
CREATE INDEX transfers_payer ON transfers (payer_user_id, created_at_ms);
CREATE INDEX transfers_payee ON transfers (payee_user_id, created_at_ms);

-- What each user sent per JST day ('d:YYYY-MM-DD') and month ('m:YYYY-MM'); raised by one
-- conditional upsert in the transfer's transaction, so racing transfers cannot pass a limit.
CREATE TABLE transfer_totals (
    user_id             TEXT NOT NULL,
    period              TEXT NOT NULL,
    total_minor         BIGINT NOT NULL,
    PRIMARY KEY (user_id, period)
);

-- A request for money: a link (and its QR code) the payer opens, checks and pays once.
CREATE TABLE money_requests (
    id                  TEXT PRIMARY KEY,
    requester_user_id   TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    message             TEXT NOT NULL DEFAULT '',
    -- open, paid or canceled (an open request past expires_at_ms reads as expired).
    status              TEXT NOT NULL,
    transfer_id         TEXT NOT NULL DEFAULT '',
    paid_by_user_id     TEXT NOT NULL DEFAULT '',
    expires_at_ms       BIGINT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    decided_at_ms       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX money_requests_requester ON money_requests (requester_user_id, created_at_ms);

-- Payees are found by phone as well as by e-mail.
CREATE INDEX users_phone ON users (phone);

-- A withdrawal to one of the user's linked bank accounts. The account's details are copied at
-- request time, so the file the bank pays is the account the name check saw.
CREATE TABLE withdrawals (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL,
    bank_account_id     TEXT NOT NULL,
    bank_code           TEXT NOT NULL,
    branch_code         TEXT NOT NULL,
    account_type        TEXT NOT NULL,
    account_number      TEXT NOT NULL,
    holder_name         TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    -- The verified kana the holder was compared with, and the verdict: exact, or
    -- mismatch / no_kana (then an operator reviews it).
    verified_kana       TEXT NOT NULL,
    name_check          TEXT NOT NULL,
    -- review (funds held, an operator decides), queued (money left the wallet, waiting for a
    -- file), sent, paid, returned (credited back), rejected (hold released), expired (the hold
    -- ran out before anyone decided).
    status              TEXT NOT NULL,
    hold_id             TEXT NOT NULL DEFAULT '',
    entry_id            TEXT NOT NULL DEFAULT '',
    file_id             TEXT NOT NULL DEFAULT '',
    result_code         BIGINT NOT NULL DEFAULT 0,
    reviewed_by         TEXT NOT NULL DEFAULT '',
    review_note         TEXT NOT NULL DEFAULT '',
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL
);
CREATE INDEX withdrawals_user ON withdrawals (user_id, created_at_ms);
CREATE INDEX withdrawals_status ON withdrawals (status, created_at_ms);
CREATE INDEX withdrawals_file ON withdrawals (file_id);

-- A Zengin total-transfer file of withdrawals, kept byte for byte so a resend is the same file.
CREATE TABLE withdrawal_files (
    id                  TEXT PRIMARY KEY,
    contents_hex        TEXT NOT NULL,
    records             BIGINT NOT NULL,
    total_minor         BIGINT NOT NULL,
    bank_file_id        TEXT NOT NULL DEFAULT '',
    -- built, sent, decided
    status              TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL
);
