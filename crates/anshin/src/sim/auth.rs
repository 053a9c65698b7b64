//! The one way every simulator checks its callers: `Authorization: Bearer <api-key>`, compared
//! by SHA-256 digest in constant time (which hides the key's length too). The simulators share
//! this with each other, never with the service's clients, so a test through them still checks
//! the wire from both sides.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::SimError;

/// The digest of the key a simulator was started with.
#[derive(Clone, Copy)]
pub struct KeyDigest([u8; 32]);

impl KeyDigest {
    pub fn of(api_key: &str) -> KeyDigest {
        KeyDigest(Sha256::digest(api_key.as_bytes()).into())
    }

    /// Whether `presented` is the key (an empty one never is).
    pub fn admits(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        !presented.is_empty() && bool::from(digest.ct_eq(&self.0))
    }
}

/// Middleware: refuse (401) a request without the key, unknown paths included.
pub async fn require_key(State(key): State<KeyDigest>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or("");
    if !key.admits(presented) {
        return SimError::new(StatusCode::UNAUTHORIZED, "unauthorized", "a valid bearer API key is required")
            .into_response();
    }
    next.run(request).await
}
