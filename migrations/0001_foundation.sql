-- Foundation schema: ledger, audit chain, outbox, HTTP idempotency.
-- Times are UTC milliseconds since the Unix epoch (`*_ms`); money is integer minor units (`*_minor`).

CREATE TABLE ledger_accounts (
    id                    TEXT PRIMARY KEY,
    kind                  TEXT NOT NULL,
    currency              TEXT NOT NULL,
    flags                 BIGINT NOT NULL,
    owner_ref             TEXT,
    balance_minor         BIGINT NOT NULL DEFAULT 0,
    pending_debit_minor   BIGINT NOT NULL DEFAULT 0,
    pending_credit_minor  BIGINT NOT NULL DEFAULT 0,
    created_at_ms         BIGINT NOT NULL
);
CREATE INDEX ledger_accounts_owner ON ledger_accounts (owner_ref);

CREATE TABLE ledger_entries (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    description        TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL,
    reverses_entry_id  TEXT UNIQUE REFERENCES ledger_entries (id),
    hold_id            TEXT,
    created_at_ms      BIGINT NOT NULL
);

CREATE TABLE ledger_postings (
    id                   BIGSERIAL PRIMARY KEY,
    entry_id             TEXT NOT NULL REFERENCES ledger_entries (id),
    account_id           TEXT NOT NULL REFERENCES ledger_accounts (id),
    currency             TEXT NOT NULL,
    amount_minor         BIGINT NOT NULL,
    balance_after_minor  BIGINT NOT NULL,
    created_at_ms        BIGINT NOT NULL
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_entry ON ledger_postings (entry_id);

CREATE TABLE ledger_holds (
    id                  TEXT PRIMARY KEY,
    idempotency_key     TEXT NOT NULL,
    debit_account_id    TEXT NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id   TEXT NOT NULL REFERENCES ledger_accounts (id),
    currency            TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    captured_minor      BIGINT NOT NULL DEFAULT 0,
    status              TEXT NOT NULL,
    expires_at_ms       BIGINT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    resolved_at_ms      BIGINT,
    capture_entry_id    TEXT
);
CREATE INDEX ledger_holds_pending ON ledger_holds (status, expires_at_ms);

CREATE TABLE ledger_idempotency (
    key            TEXT PRIMARY KEY,
    request_hash   TEXT NOT NULL,
    result_kind    TEXT NOT NULL,
    result_id      TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);

-- One row: the tip of the chain. Locking it serialises appends across processes, and it
-- lets the verifier notice a truncated tail.
CREATE TABLE audit_head (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    seq    BIGINT NOT NULL,
    hash   TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE outbox (
    id                  TEXT PRIMARY KEY,
    channel             TEXT NOT NULL,
    recipient           TEXT NOT NULL,
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL,
    status              TEXT NOT NULL,
    attempts            BIGINT NOT NULL DEFAULT 0,
    next_attempt_at_ms  BIGINT NOT NULL,
    locked_until_ms     BIGINT NOT NULL DEFAULT 0,
    last_error          TEXT,
    created_at_ms       BIGINT NOT NULL,
    delivered_at_ms     BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at_ms);

CREATE TABLE outbox_attempts (
    id          BIGSERIAL PRIMARY KEY,
    outbox_id   TEXT NOT NULL REFERENCES outbox (id),
    attempt     BIGINT NOT NULL,
    at_ms       BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL
);

CREATE TABLE dev_mailbox (
    id              BIGSERIAL PRIMARY KEY,
    outbox_id       TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    delivered_at_ms BIGINT NOT NULL
);

CREATE TABLE http_idempotency (
    scope_key      TEXT PRIMARY KEY,
    request_hash   TEXT NOT NULL,
    state          TEXT NOT NULL,
    status         BIGINT NOT NULL DEFAULT 0,
    content_type   TEXT NOT NULL DEFAULT '',
    body           TEXT NOT NULL DEFAULT '',
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX http_idempotency_age ON http_idempotency (created_at_ms);
