-- Virtual cards: the numberless prepaid card each wallet may issue for online shops (issue 8,
-- item 8), and the authorisations the card network sends Anshin as its issuer.

-- One card Anshin issued. The number is in vault_cards (kind `virtual`) under `token`; this row
-- holds only what may be shown (brand, last four, expiry) and the holder's controls.
CREATE TABLE virtual_cards (
    id                          TEXT PRIMARY KEY,
    user_id                     TEXT NOT NULL,
    token                       TEXT NOT NULL,
    -- The vault's keyed HMAC of the number: how an authorisation finds its card.
    fingerprint                 TEXT NOT NULL,
    brand                       TEXT NOT NULL,
    last4                       TEXT NOT NULL,
    exp_month                   BIGINT NOT NULL,
    exp_year                    BIGINT NOT NULL,
    -- active, frozen (declines until unfrozen), replaced (dead: a new number took its place).
    status                      TEXT NOT NULL,
    per_transaction_limit_minor BIGINT NOT NULL,
    -- Merchant categories the holder blocked, comma-separated names (gambling,quasi_cash,…).
    blocked_categories          TEXT NOT NULL DEFAULT '',
    -- The card this one replaced, if any.
    replaces_id                 TEXT NOT NULL DEFAULT '',
    created_at_ms               BIGINT NOT NULL,
    updated_at_ms               BIGINT NOT NULL
);
-- At most one live card per wallet: two concurrent issues cannot both insert.
CREATE UNIQUE INDEX virtual_cards_one_live_per_wallet ON virtual_cards (user_id) WHERE status IN ('active', 'frozen');
-- Numbers are random: a collision is caught here and the issue retries with a new number.
CREATE UNIQUE INDEX virtual_cards_fingerprint ON virtual_cards (fingerprint);
CREATE INDEX virtual_cards_user ON virtual_cards (user_id, created_at_ms);

-- One authorisation the network sent for a virtual card, approved (with a ledger hold on the
-- balance it spends) or declined, then settled, reversed or expired. `network_ref` is the
-- network's id for it: a repeat is answered from this row.
CREATE TABLE virtual_card_authorizations (
    id              TEXT PRIMARY KEY,
    network_ref     TEXT NOT NULL,
    card_id         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    amount_minor    BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    merchant_name   TEXT NOT NULL,
    mcc             TEXT NOT NULL,
    -- approved, declined, settled, reversed, expired.
    status          TEXT NOT NULL,
    decline_reason  TEXT NOT NULL DEFAULT '',
    -- The ledger hold on the wallet (approved only) and which balance it reserves (lite, money).
    hold_id         TEXT NOT NULL DEFAULT '',
    balance         TEXT NOT NULL DEFAULT '',
    auth_code       TEXT NOT NULL DEFAULT '',
    settled_minor   BIGINT NOT NULL DEFAULT 0,
    expires_at_ms   BIGINT NOT NULL DEFAULT 0,
    created_at_ms   BIGINT NOT NULL,
    resolved_at_ms  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX virtual_card_authorizations_network_ref ON virtual_card_authorizations (network_ref);
CREATE INDEX virtual_card_authorizations_user ON virtual_card_authorizations (user_id, created_at_ms);
CREATE INDEX virtual_card_authorizations_open ON virtual_card_authorizations (status, expires_at_ms);
