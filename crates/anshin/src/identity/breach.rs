//! Optional breached-password check through the k-anonymity range API shape (as Have I Been
//! Pwned serves it): only the first five hex digits of the password's SHA-1 leave the server;
//! the service answers with every suffix it knows under that prefix. Off by default.

use sha1::{Digest, Sha1};

/// Longest the check may take; past it the password is judged on the local rules alone (the
/// check is a second opinion, and sign-up must not hang on a third party).
const TIMEOUT_SECS: u64 = 3;

#[derive(Clone)]
pub struct BreachCheck {
    base_url: String,
    http: reqwest::Client,
}

impl BreachCheck {
    pub fn new(base_url: &str) -> Result<BreachCheck, String> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(TIMEOUT_SECS))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(BreachCheck { base_url: base_url.trim_end_matches('/').to_owned(), http })
    }

    /// Whether the password appears in the breach corpus. `Err` when the service cannot tell.
    pub async fn is_breached(&self, password: &str) -> Result<bool, String> {
        let digest = hex::encode_upper(Sha1::digest(password.as_bytes()));
        let (prefix, suffix) = digest.split_at(5);
        let body = self
            .http
            .get(format!("{}/range/{prefix}", self.base_url))
            .header("Add-Padding", "true")
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("breach check unavailable: {}", e.without_url()))?
            .text()
            .await
            .map_err(|e| format!("breach check unreadable: {}", e.without_url()))?;
        Ok(body.lines().filter_map(|l| l.trim().split_once(':')).any(|(s, count)| {
            s.eq_ignore_ascii_case(suffix) && count.trim().parse::<u64>().map(|n| n > 0).unwrap_or(false)
        }))
    }
}
