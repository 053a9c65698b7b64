-- Cards: the vault's sealed records, the cards wallets registered, their 3-D Secure
-- authentications (chargeback evidence) and the top-ups charged to them.

-- What crates/vault sealed: the number is AES-256-GCM ciphertext under its own data key, which is
-- wrapped by the key-encryption key `key_id`. Nothing here reads as a card number; `fingerprint`
-- is a keyed HMAC (the vault's key), for finding one card registered twice.
CREATE TABLE vault_cards (
    token           TEXT PRIMARY KEY,
    key_id          TEXT NOT NULL,
    wrapped_key     TEXT NOT NULL,
    ciphertext      TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    brand           TEXT NOT NULL,
    bin6            TEXT NOT NULL,
    last4           TEXT NOT NULL,
    exp_month       BIGINT NOT NULL,
    exp_year        BIGINT NOT NULL,
    -- customer (a card a wallet registered) or virtual (one Anshin issued).
    kind            TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX vault_cards_key ON vault_cards (key_id);

-- A card a wallet registered: usable (`active`) only once the network verified it with its
-- security code and 3-D Secure authenticated the holder. A number is active on one wallet at a
-- time (7pay's thieves tied stolen cards to accounts they controlled).
CREATE TABLE cards (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    token           TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    brand           TEXT NOT NULL,
    bin6            TEXT NOT NULL,
    last4           TEXT NOT NULL,
    exp_month       BIGINT NOT NULL,
    exp_year        BIGINT NOT NULL,
    -- authenticating, active, failed, removed.
    status          TEXT NOT NULL,
    failure_reason  TEXT NOT NULL DEFAULT '',
    created_at_ms   BIGINT NOT NULL,
    decided_at_ms   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cards_user ON cards (user_id, created_at_ms);
CREATE UNIQUE INDEX cards_one_wallet_per_number ON cards (fingerprint) WHERE status IN ('authenticating', 'active');

-- One EMV 3-D Secure authentication, kept as chargeback evidence: the ARes and the final result
-- (from the ARes, or the RReq after a challenge). The authentication value is sealed.
CREATE TABLE card_authentications (
    id                      TEXT PRIMARY KEY,
    user_id                 TEXT NOT NULL,
    card_id                 TEXT NOT NULL,
    -- registration or top_up, and the top-up it authenticates.
    purpose                 TEXT NOT NULL,
    top_up_id               TEXT NOT NULL DEFAULT '',
    amount_minor            BIGINT NOT NULL,
    message_version         TEXT NOT NULL,
    ds_trans_id             TEXT NOT NULL DEFAULT '',
    acs_trans_id            TEXT NOT NULL DEFAULT '',
    ares_status             TEXT NOT NULL DEFAULT '',
    -- The final transStatus, or `timeout` / `error` when the DS gave none.
    trans_status            TEXT NOT NULL DEFAULT '',
    trans_status_reason     TEXT NOT NULL DEFAULT '',
    eci                     TEXT NOT NULL DEFAULT '',
    authentication_value    TEXT NOT NULL DEFAULT '',
    acs_url                 TEXT NOT NULL DEFAULT '',
    challenge_requested     BIGINT NOT NULL DEFAULT 0,
    -- ares (waiting for a challenge's RReq) or final.
    state                   TEXT NOT NULL,
    created_at_ms           BIGINT NOT NULL,
    final_at_ms             BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX card_authentications_card ON card_authentications (card_id, created_at_ms);

-- A top-up charged to a registered card, credited to the wallet's lite balance only after 3-D
-- Secure and an approved authorisation.
CREATE TABLE card_top_ups (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL,
    card_id             TEXT NOT NULL,
    amount_minor        BIGINT NOT NULL,
    -- authenticating, authorising, credited, declined.
    status              TEXT NOT NULL,
    decline_reason      TEXT NOT NULL DEFAULT '',
    authentication_id   TEXT NOT NULL,
    auth_code           TEXT NOT NULL DEFAULT '',
    network_ref         TEXT NOT NULL DEFAULT '',
    -- The JST day and month whose totals this counts towards.
    day                 TEXT NOT NULL,
    month               TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    decided_at_ms       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX card_top_ups_user ON card_top_ups (user_id, created_at_ms);
CREATE INDEX card_top_ups_status ON card_top_ups (status, created_at_ms);

-- Card top-up totals per user and per card, per JST day and month. Each limit is one
-- conditional upsert on its row, so concurrent top-ups cannot pass it together.
CREATE TABLE card_top_up_totals (
    scope           TEXT NOT NULL,
    period          TEXT NOT NULL,
    total_minor     BIGINT NOT NULL,
    PRIMARY KEY (scope, period)
);
