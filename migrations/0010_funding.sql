-- Funding: bank accounts linked to wallets, top-ups from them, and campaign points.

-- A bank account a wallet user linked. The holder's name is the bank's answer to an account
-- inquiry (Zengin form); only an Exact match with the user's legal name links at once, anything
-- else waits for an operator (status `review`). Bank numbers are not secrets; lists mask them.
CREATE TABLE funding_bank_accounts (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    bank_code       TEXT NOT NULL,
    branch_code     TEXT NOT NULL,
    account_type    TEXT NOT NULL,
    account_number  TEXT NOT NULL,
    holder_name     TEXT NOT NULL,
    -- What zengin::names_match said: exact, or review (any other answer).
    name_check      TEXT NOT NULL,
    -- linked, review, rejected, unlinked.
    status          TEXT NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    created_at_ms   BIGINT NOT NULL,
    decided_at_ms   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX funding_bank_accounts_user ON funding_bank_accounts (user_id);
CREATE INDEX funding_bank_accounts_status ON funding_bank_accounts (status, created_at_ms);
-- One live link of the same account per user (linking it twice is a conflict, not a second row).
CREATE UNIQUE INDEX funding_bank_accounts_one_live
    ON funding_bank_accounts (user_id, bank_code, branch_code, account_type, account_number)
    WHERE status IN ('linked', 'review');

-- A top-up: a debit at the bank (its id is the debit id, so a retry never debits twice) that
-- credits the wallet's money only once the bank confirms it.
CREATE TABLE funding_top_ups (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL,
    bank_account_id     TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    -- pending, credited, failed, over_cap.
    status              TEXT NOT NULL,
    -- The bank's refusal reason, or why the service stopped asking.
    failure_reason      TEXT NOT NULL DEFAULT '',
    -- The JST day whose top-up total this counts towards (YYYY-MM-DD).
    day                 TEXT NOT NULL,
    entry_id            TEXT NOT NULL DEFAULT '',
    created_at_ms       BIGINT NOT NULL,
    decided_at_ms       BIGINT NOT NULL DEFAULT 0,
    -- When the worker next asks the bank about a pending one.
    next_poll_at_ms     BIGINT NOT NULL,
    polls               BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX funding_top_ups_user ON funding_top_ups (user_id, created_at_ms);
CREATE INDEX funding_top_ups_due ON funding_top_ups (status, next_poll_at_ms);

-- What each user asked to top up per JST day (failed top-ups give theirs back). The daily
-- limit is one conditional upsert on this row, so concurrent requests cannot both pass it.
CREATE TABLE funding_daily_totals (
    user_id         TEXT NOT NULL,
    day             TEXT NOT NULL,
    total_minor     BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- Campaign points an operator granted; the reference makes a grant idempotent per user.
CREATE TABLE funding_point_grants (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    reference       TEXT NOT NULL,
    campaign        TEXT NOT NULL,
    amount_minor    BIGINT NOT NULL,
    granted_by      TEXT NOT NULL,
    entry_id        TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    UNIQUE (user_id, reference)
);
CREATE INDEX funding_point_grants_user ON funding_point_grants (user_id, created_at_ms);
