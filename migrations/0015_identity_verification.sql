-- Identity verification (eKYC): attempts to verify a wallet user's legal identity, and the
-- verified identity itself. A user with no row in identity_verified is unverified.
--
-- Missing data stays missing: an empty string is "not known", never a default (7pay filled in
-- 2019-01-01 for every unknown date of birth). The document number is never stored; its last
-- four characters are enough to tell attempts apart.

-- One attempt: a check at the eKYC provider (method 'ekyc'), decided by the provider, or by an
-- operator once it is in review (decided_method 'manual').
CREATE TABLE identity_verifications (
    id                      TEXT PRIMARY KEY,
    user_id                 TEXT NOT NULL,
    -- pending (the provider has not decided), review (an operator decides), verified, rejected.
    status                  TEXT NOT NULL,
    -- Why it was rejected or sent to review (face_mismatch, name_mismatch, provider_timeout, ...).
    reason                  TEXT NOT NULL DEFAULT '',
    document_type           TEXT NOT NULL,
    document_last4          TEXT NOT NULL,
    -- What the user typed, as on the document.
    submitted_full_name     TEXT NOT NULL,
    submitted_full_name_kana TEXT NOT NULL DEFAULT '',
    submitted_date_of_birth TEXT NOT NULL,
    submitted_address       TEXT NOT NULL,
    -- The provider's check, and what it read from the document ('' until it says).
    provider_check_id       TEXT NOT NULL DEFAULT '',
    read_full_name          TEXT NOT NULL DEFAULT '',
    read_full_name_kana     TEXT NOT NULL DEFAULT '',
    read_date_of_birth      TEXT NOT NULL DEFAULT '',
    read_address            TEXT NOT NULL DEFAULT '',
    -- 'system' for the provider's decision, an operator's user id for a manual one.
    decided_by              TEXT NOT NULL DEFAULT '',
    -- The operator's reason, audited too.
    decision_note           TEXT NOT NULL DEFAULT '',
    created_at_ms           BIGINT NOT NULL,
    decided_at_ms           BIGINT NOT NULL DEFAULT 0,
    -- A pending check still undecided at this time goes to review (the provider may never answer).
    deadline_at_ms          BIGINT NOT NULL,
    next_poll_at_ms         BIGINT NOT NULL,
    polls                   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX identity_verifications_user ON identity_verifications (user_id, created_at_ms);
CREATE INDEX identity_verifications_status ON identity_verifications (status, created_at_ms);
CREATE INDEX identity_verifications_due ON identity_verifications (status, next_poll_at_ms);
-- One open attempt per user, decided by the index however many submissions race.
CREATE UNIQUE INDEX identity_verifications_one_open
    ON identity_verifications (user_id) WHERE status IN ('pending', 'review');

-- The verified identity: the legal name as the document shows it, its kana (what Zengin name
-- matching compares with a bank account's holder), date of birth and address.
CREATE TABLE identity_verified (
    user_id             TEXT PRIMARY KEY,
    legal_name          TEXT NOT NULL,
    -- '' when neither the document nor an operator gave it: never guessed from the kanji.
    legal_name_kana     TEXT NOT NULL DEFAULT '',
    date_of_birth       TEXT NOT NULL,
    address             TEXT NOT NULL,
    -- ekyc (the provider verified it) or manual (an operator approved it).
    method              TEXT NOT NULL,
    verification_id     TEXT NOT NULL,
    provider_check_id   TEXT NOT NULL DEFAULT '',
    decided_by          TEXT NOT NULL,
    verified_at_ms      BIGINT NOT NULL
);
