//! Identity: who may act. This folder grows with the identity issue; so far it holds the
//! building blocks that every flow of it needs: password rules and hashing, one-time codes,
//! and TOTP.

pub mod breach;
pub mod codes;
pub mod passkeys;
pub mod password;
pub mod service;
pub mod throttle;
pub mod totp;
pub mod types;

pub use service::{Identity, IdentityConfig, IdentityError};

/// How long finished or expired sign-in state is kept before the hourly purge removes it (the
/// audit chain keeps the record of what happened).
pub const STALE_STATE_RETENTION_SECS: i64 = 24 * 3600;

/// Remove expired challenges, codes, WebAuthn states, registrations, resets, contact changes
/// and old throttle windows, so that none of these tables grows without bound. Returns the
/// number of rows removed.
pub async fn purge_stale_state(db: &crate::storage::Db) -> Result<u64, sqlx::Error> {
    let cutoff = crate::storage::now_ms() - STALE_STATE_RETENTION_SECS * 1000;
    const STATEMENTS: [&str; 7] = [
        "DELETE FROM login_challenges WHERE expires_at_ms < $1",
        "DELETE FROM otp_challenges WHERE expires_at_ms < $1",
        "DELETE FROM webauthn_states WHERE expires_at_ms < $1",
        "DELETE FROM registrations WHERE expires_at_ms < $1",
        "DELETE FROM password_resets WHERE expires_at_ms < $1",
        "DELETE FROM contact_changes WHERE expires_at_ms < $1",
        "DELETE FROM throttles WHERE window_start_ms < $1",
    ];
    let mut removed = 0;
    for sql in STATEMENTS {
        removed += sqlx::query(sql).bind(cutoff).execute(db.write_pool()).await?.rows_affected();
    }
    Ok(removed)
}
