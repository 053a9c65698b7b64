//! TOTP second factor (RFC 6238): works with any authenticator app. Codes are accepted one step
//! either side of now (clock drift), and a code, once used, is never accepted again: the caller
//! stores the step that matched and passes it back as `last_used_step`.

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Totp};

pub const ISSUER: &str = "Anshin";
/// 160-bit secrets, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
pub const STEP_SECS: u64 = 30;
pub const DIGITS: u8 = 6;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error("the code is wrong or has expired")]
    Wrong,
    #[error("this code has already been used; wait for the next one")]
    Replayed,
    #[error("invalid TOTP secret: {0}")]
    Secret(String),
}

pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], account: &str) -> Result<Totp, TotpError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1) // what every authenticator app supports
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec())
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| TotpError::Secret(e.to_string()))
}

/// The `otpauth://totp/…` URL to show as a QR code (and as text) when enrolling.
pub fn enrolment_url(secret: &[u8], account: &str) -> Result<String, TotpError> {
    totp(secret, account)?.to_url().map_err(|e| TotpError::Secret(e.to_string()))
}

pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// Check `code` at `now_secs`. Returns the time step it matched, to be stored as the new
/// `last_used_step`; a step at or before `last_used_step` is refused, so every code works once.
pub fn verify(secret: &[u8], code: &str, now_secs: u64, last_used_step: Option<u64>) -> Result<u64, TotpError> {
    let totp = totp(secret, "")?;
    let step = totp.check(code.trim(), now_secs).ok_or(TotpError::Wrong)?;
    if last_used_step.is_some_and(|last| step <= last) {
        return Err(TotpError::Replayed);
    }
    Ok(step)
}

/// The code at `now_secs` for a base32 secret as shown at enrolment: a software authenticator,
/// for tests and tools.
pub fn code_from_base32(secret_b32: &str, now_secs: u64) -> Result<String, TotpError> {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).map_err(|e| TotpError::Secret(e.to_string()))?;
    code_at(secret.as_ref(), now_secs)
}

/// The current code, for tests and the software authenticator used in them.
pub fn code_at(secret: &[u8], now_secs: u64) -> Result<String, TotpError> {
    Ok(totp(secret, "")?.generate(now_secs).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_sha1_test_vectors() {
        // RFC 6238 Appendix B, SHA1, truncated to the 6 digits authenticator apps show.
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time).unwrap(), code, "at {time}");
            assert!(verify(RFC_SECRET, code, time, None).is_ok());
        }
    }

    #[test]
    fn one_step_of_drift_is_allowed_and_no_more() {
        let now = 1_700_000_000;
        let code = code_at(RFC_SECRET, now).unwrap();
        assert!(verify(RFC_SECRET, &code, now + STEP_SECS, None).is_ok());
        assert!(verify(RFC_SECRET, &code, now - STEP_SECS, None).is_ok());
        assert_eq!(verify(RFC_SECRET, &code, now + 3 * STEP_SECS, None), Err(TotpError::Wrong));
    }

    #[test]
    fn a_code_is_refused_the_second_time() {
        let now = 1_700_000_000;
        let code = code_at(RFC_SECRET, now).unwrap();
        let step = verify(RFC_SECRET, &code, now, None).unwrap();
        assert_eq!(verify(RFC_SECRET, &code, now, Some(step)), Err(TotpError::Replayed));
        assert_eq!(verify(RFC_SECRET, &code, now + 10, Some(step)), Err(TotpError::Replayed));
        // An older code (one step back) is refused too once a newer one was used.
        let older = code_at(RFC_SECRET, now - STEP_SECS).unwrap();
        assert_eq!(verify(RFC_SECRET, &older, now, Some(step)), Err(TotpError::Replayed));
        let next = code_at(RFC_SECRET, now + STEP_SECS).unwrap();
        assert!(verify(RFC_SECRET, &next, now + STEP_SECS, Some(step)).is_ok());
    }

    #[test]
    fn enrolment_url_names_issuer_and_account() {
        let url = enrolment_url(&new_secret(), "taro@example.jp").unwrap();
        assert!(url.starts_with("otpauth://totp/Anshin:taro%40example.jp?"), "{url}");
        assert!(url.contains("issuer=Anshin"));
        assert!(url.contains("secret="));
    }

    /// Codes from an independent implementation (Python's pyotp) are accepted. `.ci/run` installs
    /// pyotp; elsewhere the test says it skipped.
    #[test]
    fn codes_from_pyotp_are_accepted() {
        let secret = new_secret();
        let b32 = secret_base32(&secret);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let script = format!("import pyotp; print(pyotp.TOTP('{b32}').at({now}))");
        let out = std::process::Command::new("python3").args(["-c", &script]).output();
        let Some(out) = out.ok().filter(|o| o.status.success()) else {
            // CI sets ANSHIN_REQUIRE_PYOTP so this check can never vanish silently there.
            assert!(std::env::var_os("ANSHIN_REQUIRE_PYOTP").is_none(), "pyotp is required here: pip install pyotp");
            eprintln!("SKIPPING pyotp test: python3 with pyotp is not installed (pip install pyotp)");
            return;
        };
        let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert_eq!(code.len(), 6, "{code}");
        assert!(verify(&secret, &code, now, None).is_ok(), "pyotp's code {code} was refused");
    }
}
