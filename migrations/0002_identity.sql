-- Identity: registrations with verified contacts, users, one-time code challenges, TOTP,
-- recovery codes, login challenges, devices, sessions and throttles.

CREATE TABLE registrations (
    id                    TEXT PRIMARY KEY,
    email                 TEXT NOT NULL,
    phone                 TEXT NOT NULL,
    legal_name            TEXT NOT NULL,
    date_of_birth         TEXT NOT NULL,
    password_hash         TEXT NOT NULL,
    email_challenge_id    TEXT NOT NULL,
    sms_challenge_id      TEXT NOT NULL,
    -- 1 when the e-mail already has an account: answered like any other, but it can never complete.
    decoy                 BIGINT NOT NULL,
    expires_at_ms         BIGINT NOT NULL,
    completed_at_ms       BIGINT,
    created_at_ms         BIGINT NOT NULL
);

-- Everyone who signs in: wallet users, merchant staff and operators (`kind`), with a `role`
-- for staff (owner, manager, cashier) and operators (analyst, admin). Staff and operators have
-- no phone or birth date of record (empty), and must enrol an authenticator app first.
CREATE TABLE users (
    id                      TEXT PRIMARY KEY,
    kind                    TEXT NOT NULL DEFAULT 'wallet',
    role                    TEXT NOT NULL DEFAULT '',
    -- For merchant staff: the merchant they work for.
    org_ref                 TEXT NOT NULL DEFAULT '',
    email                   TEXT NOT NULL UNIQUE,
    phone                   TEXT NOT NULL,
    legal_name              TEXT NOT NULL,
    date_of_birth           TEXT NOT NULL,
    password_hash           TEXT NOT NULL,
    status                  TEXT NOT NULL,
    email_verified_at_ms    BIGINT NOT NULL,
    phone_verified_at_ms    BIGINT NOT NULL,
    -- After a contact change, money may not leave the wallet until then (cooling-off).
    money_out_blocked_until_ms BIGINT NOT NULL DEFAULT 0,
    failed_logins           BIGINT NOT NULL DEFAULT 0,
    login_blocked_until_ms  BIGINT NOT NULL DEFAULT 0,
    created_at_ms           BIGINT NOT NULL
);

CREATE TABLE otp_challenges (
    id             TEXT PRIMARY KEY,
    purpose        TEXT NOT NULL,
    subject        TEXT NOT NULL,
    channel        TEXT NOT NULL,
    code_hash      TEXT NOT NULL,
    attempts       BIGINT NOT NULL DEFAULT 0,
    expires_at_ms  BIGINT NOT NULL,
    used_at_ms     BIGINT,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE totp_factors (
    user_id         TEXT PRIMARY KEY REFERENCES users (id),
    secret_enc      TEXT NOT NULL,
    status          TEXT NOT NULL,
    last_used_step  BIGINT,
    created_at_ms   BIGINT NOT NULL
);

-- Passkeys (WebAuthn credentials), as webauthn-rs serialises them; and the short-lived state
-- between a WebAuthn challenge and its answer, kept here so any process can finish it.
CREATE TABLE passkeys (
    credential_id    TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    passkey_json     TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    last_used_at_ms  BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE webauthn_states (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    state_json     TEXT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    used_at_ms     BIGINT
);

CREATE TABLE recovery_codes (
    code_hash      TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id),
    used_at_ms     BIGINT,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Waiting for a second factor. `purpose`: login, lock, unlock (after a password) or step_up
-- (inside a session, bound to `action` and `session_id`).
CREATE TABLE login_challenges (
    id                TEXT PRIMARY KEY,
    purpose           TEXT NOT NULL,
    session_id        TEXT,
    action            TEXT,
    user_id           TEXT NOT NULL REFERENCES users (id),
    sms_challenge_id  TEXT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    expires_at_ms     BIGINT NOT NULL,
    completed_at_ms   BIGINT,
    created_at_ms     BIGINT NOT NULL
);

-- A change of e-mail or phone waiting for the code sent to the new contact.
CREATE TABLE contact_changes (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    channel          TEXT NOT NULL,
    new_value        TEXT NOT NULL,
    challenge_id     TEXT NOT NULL,
    expires_at_ms    BIGINT NOT NULL,
    completed_at_ms  BIGINT,
    created_at_ms    BIGINT NOT NULL
);

-- A password reset: only ever sent to the account's verified e-mail, and completed only with
-- a second factor.
CREATE TABLE password_resets (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    token_hash        TEXT NOT NULL UNIQUE,
    sms_challenge_id  TEXT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    expires_at_ms     BIGINT NOT NULL,
    used_at_ms        BIGINT,
    created_at_ms     BIGINT NOT NULL
);

CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    token_hash        TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    first_seen_at_ms  BIGINT NOT NULL,
    last_seen_at_ms   BIGINT NOT NULL,
    revoked_at_ms     BIGINT
);
CREATE INDEX devices_user ON devices (user_id);

-- `scope` is `full`, or `enrol` for staff and operators who have yet to set up a factor: such
-- a session can do nothing but enrol one.
CREATE TABLE sessions (
    id                   TEXT PRIMARY KEY,
    token_hash           TEXT NOT NULL UNIQUE,
    scope                TEXT NOT NULL DEFAULT 'full',
    user_id              TEXT NOT NULL REFERENCES users (id),
    device_id            TEXT NOT NULL,
    created_at_ms        BIGINT NOT NULL,
    last_seen_at_ms      BIGINT NOT NULL,
    expires_at_ms        BIGINT NOT NULL,
    idle_timeout_ms      BIGINT NOT NULL,
    authenticated_at_ms  BIGINT NOT NULL,
    revoked_at_ms        BIGINT,
    ip                   TEXT NOT NULL,
    user_agent           TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Fixed-window counters shared by every process: failed logins per address, sign-ups per
-- address and phone, codes sent per account.
CREATE TABLE throttles (
    key              TEXT PRIMARY KEY,
    count            BIGINT NOT NULL,
    window_start_ms  BIGINT NOT NULL
);
