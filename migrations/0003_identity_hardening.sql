-- Identity hardening: failure guards that slow the source and not the owner, step-up grants
-- bound to one action, unlocks that wait out a cooling-off period, the user's language, and
-- the last verification of the audit chain.

-- The account's own failure counters move to `signin_guards` (keyed by source and account).
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN login_blocked_until_ms;
-- The language of the account's e-mails and SMS (`ja` or `en`), chosen at registration.
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'ja';
-- When the owner was last told that someone knows the password (at most once a day).
ALTER TABLE users ADD COLUMN password_alert_at_ms BIGINT NOT NULL DEFAULT 0;

-- The known device (one that completed a second factor on the account before) that gave the
-- password, if any; the guard its factor failures feed; whether the source asked for more proof
-- (an e-mail code besides the factor); the e-mail code; whether the owner was told about it.
ALTER TABLE login_challenges ADD COLUMN device_id TEXT;
ALTER TABLE login_challenges ADD COLUMN guard_key TEXT NOT NULL DEFAULT '';
ALTER TABLE login_challenges ADD COLUMN email_proof_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE login_challenges ADD COLUMN email_challenge_id TEXT;
ALTER TABLE login_challenges ADD COLUMN alerted BIGINT NOT NULL DEFAULT 0;
CREATE INDEX login_challenges_user_open ON login_challenges (user_id, purpose, completed_at_ms);
CREATE INDEX login_challenges_unanswered ON login_challenges (alerted, expires_at_ms);

-- A lock voids a pending contact change: it never completes.
ALTER TABLE contact_changes ADD COLUMN voided_at_ms BIGINT;

-- Failure counters with growing delays. `key` says what they count: failures from one address
-- against one account (`pair:`), from one known device (`device:`), of one password from one
-- address (`pw:`), and of one account from unknown devices (`acct:`). An attempt is counted
-- before it is judged, by one atomic statement, so concurrent guesses get no more tries than
-- sequential ones.
CREATE TABLE signin_guards (
    key               TEXT PRIMARY KEY,
    failures          BIGINT NOT NULL,
    blocked_until_ms  BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL
);

-- A second factor given for one named action (`change_password`, later a payment id and amount),
-- in one session, for a short time; consumed by the action it was given for.
CREATE TABLE step_up_grants (
    id             TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id),
    action         TEXT NOT NULL,
    factor         TEXT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    used_at_ms     BIGINT,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX step_up_grants_session ON step_up_grants (session_id, action);

-- An unlock waits out a cooling-off period during which the owner, told on every verified
-- contact, can cancel it; a new lock cancels it too.
CREATE TABLE unlock_requests (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    requested_by     TEXT NOT NULL,
    cancel_key_hash  TEXT NOT NULL UNIQUE,
    effective_at_ms  BIGINT NOT NULL,
    cancelled_at_ms  BIGINT,
    applied_at_ms    BIGINT,
    created_at_ms    BIGINT NOT NULL
);
CREATE INDEX unlock_requests_due ON unlock_requests (applied_at_ms, effective_at_ms);

-- Results of verifying the audit chain (a background job and on demand), so pages show the last
-- result instead of walking the whole chain on every view.
CREATE TABLE audit_checks (
    id               BIGSERIAL PRIMARY KEY,
    at_ms            BIGINT NOT NULL,
    requested_by     TEXT NOT NULL,
    records_checked  BIGINT NOT NULL,
    ok               BIGINT NOT NULL,
    problems         TEXT NOT NULL
);
