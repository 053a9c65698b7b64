//! The POS API: signed requests (see `payments::pos` and docs/POS-API.md). The body is read
//! whole, the signature checked over it, and only then parsed.

use axum::Router;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::de::DeserializeOwned;

use super::payments;
use crate::http::AppState;
use crate::http::error::{ApiError, Json, buffered};
use crate::http::middleware::RequestId;
use crate::http::openapi::{CodeRefused, Common, Declined, IdempotencyKey, Missing, PosSigned, PostJson};
use crate::payments::pos::NonceSpending;
use crate::payments::{
    CancelRequest, ChargeRequest, Payment, PosCaller, PosSignature, Refund, RefundBy, RefundRequest,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/pos/payments", post(charge))
        .route("/v1/pos/payments/{id}", get(payment))
        .route("/v1/pos/payments/{id}/refunds", post(refund))
        .route("/v1/pos/payments/{id}/cancel", post(cancel))
}

/// A request from a POS whose signature holds, with its JSON body.
pub struct SignedPos<T>(pub PosCaller, pub T);

fn header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// What a POS request carries, and when its nonce is spent: a payment spends it with its
/// journal; anything else at once.
pub trait PosBody: DeserializeOwned {
    const NONCE_SPENDING: NonceSpending = NonceSpending::Now;
}

impl PosBody for ChargeRequest {
    const NONCE_SPENDING: NonceSpending = NonceSpending::WithThePayment;
}
impl PosBody for RefundRequest {}
impl PosBody for CancelRequest {}
impl PosBody for () {}

impl<T: PosBody> FromRequest<AppState> for SignedPos<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (req, body) = buffered(req, state).await.map_err(|r| ApiError::for_status(r.status()))?;
        let sig = PosSignature {
            key_id: header(req.headers(), "anshin-key"),
            timestamp: header(req.headers(), "anshin-timestamp"),
            nonce: header(req.headers(), "anshin-nonce"),
            signature: header(req.headers(), "anshin-signature"),
        };
        let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
        let method = req.method().as_str().to_owned();
        let caller = payments(state)?.authenticate_pos(&sig, &method, &path, &body, T::NONCE_SPENDING).await?;
        let value = if body.is_empty() && method == "GET" {
            serde_json::from_value(serde_json::Value::Null)
                .map_err(|e| ApiError::invalid("body_invalid", e.to_string()))?
        } else {
            Json::<T>::from_request(req, state).await?.0
        };
        Ok(SignedPos(caller, value))
    }
}

/// POS: take a customer-presented payment. The answer is the payment's own state, which reaches
/// the till independently of the customer's phone.
#[utoipa::path(post, path = "/v1/pos/payments", tag = "pos", request_body = ChargeRequest,
    params(IdempotencyKey,
        ("Anshin-Key" = String, Header, description = "The POS key's id (`pk_…`)."),
        ("Anshin-Timestamp" = String, Header, description = "Unix seconds; within 300 s of the server's clock."),
        ("Anshin-Nonce" = String, Header, description = "16 to 64 of [A-Za-z0-9_-], never reused by this key."),
        ("Anshin-Signature" = String, Header, description = "Hex HMAC-SHA-256 (docs/POS-API.md)."),
    ),
    responses((status = 201, description = "The payment (`succeeded`, or `held` for review).", body = Payment),
        PostJson, PosSigned, Declined, CodeRefused))]
pub async fn charge(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    SignedPos(pos, body): SignedPos<ChargeRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let payment = payments(&state)?.charge_customer_code(&pos, &body, &request_id.0).await?;
    Ok((StatusCode::CREATED, Json(payment)))
}

/// POS: a payment of this merchant, by id (anything else is "not found").
#[utoipa::path(get, path = "/v1/pos/payments/{id}", tag = "pos",
    params(("id" = String, Path, description = "The payment's id."),
        ("Anshin-Key" = String, Header, description = "The POS key's id."),
        ("Anshin-Timestamp" = String, Header, description = "Unix seconds."),
        ("Anshin-Nonce" = String, Header, description = "Never reused by this key."),
        ("Anshin-Signature" = String, Header, description = "Over an empty body.")),
    responses((status = 200, description = "The payment.", body = Payment), Common, PosSigned, Missing))]
pub async fn payment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPos(pos, ()): SignedPos<()>,
) -> Result<Json<Payment>, ApiError> {
    Ok(Json(payments(&state)?.payment_for_pos(&pos, &id).await?))
}

/// POS: refund a payment of this store's merchant, fully or in part (idempotent on `refund_key`).
#[utoipa::path(post, path = "/v1/pos/payments/{id}/refunds", tag = "pos", request_body = RefundRequest,
    params(("id" = String, Path, description = "The payment's id."), IdempotencyKey,
        ("Anshin-Key" = String, Header, description = "The POS key's id."),
        ("Anshin-Timestamp" = String, Header, description = "Unix seconds."),
        ("Anshin-Nonce" = String, Header, description = "Never reused by this key."),
        ("Anshin-Signature" = String, Header, description = "Hex HMAC-SHA-256 (docs/POS-API.md).")),
    responses((status = 201, description = "The refund.", body = Refund), PostJson, PosSigned, Declined, Missing))]
pub async fn refund(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    Path(id): Path<String>,
    SignedPos(pos, body): SignedPos<RefundRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let refund = payments(&state)?.refund(RefundBy::Pos(&pos), &id, &body, &request_id.0).await?;
    Ok((StatusCode::CREATED, Json(refund)))
}

/// POS: give up on a payment of this merchant that waits for its customer's confirmation or an
/// analyst (the customer walked away): the money goes back to the wallet. A payment that is
/// already decided is refused `not_pending`.
#[utoipa::path(post, path = "/v1/pos/payments/{id}/cancel", tag = "pos", request_body = CancelRequest,
    params(("id" = String, Path, description = "The payment's id."), IdempotencyKey,
        ("Anshin-Key" = String, Header, description = "The POS key's id."),
        ("Anshin-Timestamp" = String, Header, description = "Unix seconds."),
        ("Anshin-Nonce" = String, Header, description = "Never reused by this key."),
        ("Anshin-Signature" = String, Header, description = "Hex HMAC-SHA-256 (docs/POS-API.md).")),
    responses((status = 200, description = "The payment, now `canceled`.", body = Payment), PostJson, PosSigned, Declined,
        Missing))]
pub async fn cancel(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    Path(id): Path<String>,
    SignedPos(pos, body): SignedPos<CancelRequest>,
) -> Result<Json<Payment>, ApiError> {
    Ok(Json(payments(&state)?.pos_cancel(&pos, &id, &body, &request_id.0).await?))
}
