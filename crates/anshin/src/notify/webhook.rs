//! Webhook deliveries: a message on the `webhook` channel names an endpoint (`recipient`) and
//! carries the event's JSON (sealed like every body). At each attempt the body is signed afresh,
//! so a retry an hour later still arrives inside the receiver's tolerance:
//!
//! `Anshin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>`
//!
//! with one `v1=` per secret still valid (two during a rotation's overlap), newest first.
//! docs/WEBHOOKS.md tells integrators how to verify it. Only the endpoint's registered URL is
//! called, with redirects off; plain `http://` only to loopback and only when the server was
//! started with `--dev-loopback-webhooks`.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::OutboxMessage;
use crate::keys::Keys;
use crate::storage::Db;

/// The header a receiver verifies.
pub const SIGNATURE_HEADER: &str = "Anshin-Signature";
/// How old a signature a receiver should accept (docs/WEBHOOKS.md says the same).
pub const TOLERANCE_SECS: i64 = 300;
/// A receiver that takes longer is counted as failed and tried again later.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct WebhookSender {
    db: Db,
    keys: Keys,
    http: reqwest::Client,
    allow_loopback_http: bool,
}

impl WebhookSender {
    pub fn new(db: Db, keys: Keys, allow_loopback_http: bool) -> anyhow::Result<WebhookSender> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            // A redirect could send the signed event somewhere the merchant never registered.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(WebhookSender { db, keys, http, allow_loopback_http })
    }

    pub async fn deliver(&self, m: &OutboxMessage) -> Result<String, String> {
        let endpoint = crate::merchants::store_credentials::endpoint_by_id(&self.db, &m.recipient)
            .await
            .map_err(|e| format!("webhook endpoint lookup: {e}"))?;
        let Some(endpoint) = endpoint.filter(|e| e.status == "enabled") else {
            // Disabled since the event: the merchant asked for no more deliveries there.
            return Ok("endpoint disabled: not sent".into());
        };
        check_url(&endpoint.url, self.allow_loopback_http)?;
        let secrets = crate::merchants::credentials::webhook_signing_secrets(&self.db, &self.keys, &endpoint.id)
            .await
            .map_err(|e| format!("webhook secrets: {e}"))?;
        if secrets.is_empty() {
            return Err("the endpoint has no signing secret".into());
        }
        let signature = signature_header(&secrets, crate::storage::now_ms() / 1000, &m.body);
        let response = self
            .http
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header("Anshin-Event-Type", &m.subject)
            .body(m.body.clone())
            .send()
            .await
            // Never the URL (it may carry the merchant's own token) or the body in an error.
            .map_err(|e| format!("webhook: {}", e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(format!("webhook {status}"))
        } else {
            Err(format!("webhook endpoint answered {status}"))
        }
    }
}

/// The registered URL, checked again at delivery: `https://` on a host name, or plain loopback
/// when allowed. Anything else (a row changed behind the API's back) is refused, never called.
fn check_url(raw: &str, allow_loopback_http: bool) -> Result<(), String> {
    let url = reqwest::Url::parse(raw).map_err(|_| "the endpoint URL does not parse".to_owned())?;
    let loopback = url.host_str().is_some_and(super::transport::is_loopback_host);
    match (url.scheme(), url.host()) {
        (_, _) if loopback => {
            if allow_loopback_http {
                Ok(())
            } else {
                Err("loopback webhook URLs are not allowed on this server".into())
            }
        }
        ("https", Some(url::Host::Domain(_))) => Ok(()),
        _ => Err("the endpoint URL is not https on a host name".into()),
    }
}

/// `t=<t_secs>,v1=<hex>[,v1=<hex>]`: one signature per secret, in the order given.
pub fn signature_header(secrets: &[String], t_secs: i64, body: &str) -> String {
    let mut header = format!("t={t_secs}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(secret, t_secs, body));
    }
    header
}

fn sign(secret: &str, t_secs: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(format!("{t_secs}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// What a receiver does (docs/WEBHOOKS.md), for Rust integrators and tests: the header's time
/// within `tolerance_secs` of `now_secs`, and some `v1=` equal, in constant time, to the
/// signature with `secret`.
pub fn verify_signature(header: &str, secret: &str, body: &str, now_secs: i64, tolerance_secs: i64) -> bool {
    use subtle::ConstantTimeEq;
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now_secs - t).abs() > tolerance_secs {
        return false;
    }
    let expected = sign(secret, t, body);
    candidates.iter().any(|c| c.len() == expected.len() && bool::from(c.as_bytes().ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_signs_and_each_verifies_within_the_tolerance() {
        let secrets = vec!["whsec_new".to_owned(), "whsec_old".to_owned()];
        let header = signature_header(&secrets, 1_700_000_000, "{\"a\":1}");
        assert_eq!(header.matches("v1=").count(), 2);
        for s in &secrets {
            assert!(verify_signature(&header, s, "{\"a\":1}", 1_700_000_100, TOLERANCE_SECS));
        }
        assert!(!verify_signature(&header, "whsec_other", "{\"a\":1}", 1_700_000_100, TOLERANCE_SECS));
        assert!(!verify_signature(&header, "whsec_new", "{\"a\":2}", 1_700_000_100, TOLERANCE_SECS));
        assert!(!verify_signature(&header, "whsec_new", "{\"a\":1}", 1_700_000_301, TOLERANCE_SECS), "too old");
    }

    #[test]
    fn only_registered_kinds_of_url_are_called() {
        assert!(check_url("https://hooks.example.com/x", false).is_ok());
        assert!(check_url("http://hooks.example.com/x", false).is_err());
        assert!(check_url("https://10.0.0.1/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9/x", false).is_err(), "loopback only when allowed");
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
    }
}
