//! Merchant-presented payments over HTTP: the POS asks for a dynamic code (signed POS request),
//! a wallet scans a code and pays it, and a merchant's staff download a store's poster. Handlers
//! only parse, call `Payments` (`payments::mpm`) and map the result.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::payments;
use super::pos::{PosBody, SignedPos};
use crate::http::AppState;
use crate::http::error::{ApiError, Json};
use crate::http::identity::{Caller, SignedIn};
use crate::http::middleware::RequestId;
use crate::http::openapi::{
    CodeRefused, Common, Declined, FullSession, IdempotencyKey, Invalid, Missing, PosSigned, PostJson,
};
use crate::payments::{
    CancelRequest, NewPaymentRequest, Payment, PaymentRequest, ScanPayment, ScanRequest, ScanView, poster,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/pos/payment-requests", post(create_request))
        .route("/v1/pos/payment-requests/{id}", get(read_request))
        .route("/v1/pos/payment-requests/{id}/cancel", post(cancel_request))
        // A photo of a code is larger than any other JSON body: this route alone takes one.
        .route("/v1/me/scans", post(scan).layer(DefaultBodyLimit::max(poster::PHOTO_BODY_BYTES)))
        .route("/v1/me/scans/{id}", get(read_scan))
        .route("/v1/me/scans/{id}/payment", post(pay))
        .route("/v1/merchants/{id}/stores/{store_id}/qr", get(store_code))
        .route("/v1/merchants/{id}/stores/{store_id}/qr.svg", get(store_svg))
        .route("/v1/merchants/{id}/stores/{store_id}/qr.png", get(store_png))
}

impl PosBody for NewPaymentRequest {}

/// POS: a dynamic code for one sale (amount in `54`, a one-time reference in `62`), valid for
/// five minutes and payable once. Show `payload` as a QR code; read the request to learn when
/// it is paid.
#[utoipa::path(post, path = "/v1/pos/payment-requests", tag = "pos", request_body = NewPaymentRequest,
    params(IdempotencyKey,
        ("Anshin-Key" = String, Header, description = "The POS key's id (`pk_…`)."),
        ("Anshin-Timestamp" = String, Header, description = "Unix seconds; within 300 s of the server's clock."),
        ("Anshin-Nonce" = String, Header, description = "16 to 64 of [A-Za-z0-9_-], never reused by this key."),
        ("Anshin-Signature" = String, Header, description = "Hex HMAC-SHA-256 (docs/POS-API.md).")),
    responses((status = 201, description = "The payment request, `open`, with the code to show.", body = PaymentRequest),
        PostJson, PosSigned))]
pub async fn create_request(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    SignedPos(pos, body): SignedPos<NewPaymentRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let request = payments(&state)?.create_payment_request(&pos, &body, &request_id.0).await?;
    Ok((StatusCode::CREATED, Json(request)))
}

/// POS: a payment request of this merchant: `open`, `paid` (with `payment_id`), `canceled` or
/// `expired`.
#[utoipa::path(get, path = "/v1/pos/payment-requests/{id}", tag = "pos",
    params(("id" = String, Path, description = "The payment request's id (`preq_…`)."),
        ("Anshin-Key" = String, Header, description = "The POS key's id."),
        ("Anshin-Timestamp" = String, Header, description = "Unix seconds."),
        ("Anshin-Nonce" = String, Header, description = "Never reused by this key."),
        ("Anshin-Signature" = String, Header, description = "Over an empty body.")),
    responses((status = 200, description = "The payment request.", body = PaymentRequest), Common, PosSigned, Missing))]
pub async fn read_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SignedPos(pos, ()): SignedPos<()>,
) -> Result<Json<PaymentRequest>, ApiError> {
    Ok(Json(payments(&state)?.payment_request_for_pos(&pos, &id).await?))
}

/// POS: cancel an open payment request (its code stops working at once).
#[utoipa::path(post, path = "/v1/pos/payment-requests/{id}/cancel", tag = "pos", request_body = CancelRequest,
    params(("id" = String, Path, description = "The payment request's id."), IdempotencyKey,
        ("Anshin-Key" = String, Header, description = "The POS key's id."),
        ("Anshin-Timestamp" = String, Header, description = "Unix seconds."),
        ("Anshin-Nonce" = String, Header, description = "Never reused by this key."),
        ("Anshin-Signature" = String, Header, description = "Hex HMAC-SHA-256 (docs/POS-API.md).")),
    responses((status = 200, description = "The payment request, `canceled` (or as it was if it had expired).",
        body = PaymentRequest), PostJson, PosSigned, Missing, Invalid))]
pub async fn cancel_request(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    Path(id): Path<String>,
    SignedPos(pos, body): SignedPos<CancelRequest>,
) -> Result<Json<PaymentRequest>, ApiError> {
    Ok(Json(payments(&state)?.cancel_payment_request(&pos, &id, &body.reason, &request_id.0).await?))
}

/// Wallets: a scanned store code (its text, or a PNG photo of it). The answer names the
/// **registered** merchant and store, and the amount of a dynamic code, for the customer to
/// confirm; a code that is forged, foreign, unsigned, expired, used, or of a suspended merchant
/// or closed store is refused (422) with what to do.
#[utoipa::path(post, path = "/v1/me/scans", tag = "payments", security(("bearer" = [])), request_body = ScanRequest,
    params(IdempotencyKey),
    responses((status = 201, description = "The checked code, to confirm.", body = ScanView), PostJson, FullSession,
        Invalid, CodeRefused))]
pub async fn scan(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Json(body): Json<ScanRequest>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(payments(&state)?.scan(&who, &body).await?)))
}

/// Wallets: one of the customer's own scans.
#[utoipa::path(get, path = "/v1/me/scans/{id}", tag = "payments", security(("bearer" = [])),
    params(("id" = String, Path, description = "The scan's id (`scan_…`).")),
    responses((status = 200, description = "The scan.", body = ScanView), Common, FullSession, Missing))]
pub async fn read_scan(
    State(state): State<AppState>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
) -> Result<Json<ScanView>, ApiError> {
    Ok(Json(payments(&state)?.scan_view(&who, &id).await?))
}

/// Wallets: pay a scanned code (the amount is required for a store's static code). The answer
/// is the payment with its confirmation code, which the merchant's portal and POS show too.
#[utoipa::path(post, path = "/v1/me/scans/{id}/payment", tag = "payments", security(("bearer" = [])),
    request_body = ScanPayment,
    params(("id" = String, Path, description = "The scan's id."), IdempotencyKey),
    responses((status = 201, description = "The payment (`succeeded`, or `held` for review).", body = Payment),
        PostJson, FullSession, Invalid, Missing, Declined, CodeRefused))]
pub async fn pay(
    State(state): State<AppState>,
    axum::Extension(request_id): axum::Extension<RequestId>,
    SignedIn(who): SignedIn,
    Path(id): Path<String>,
    Json(body): Json<ScanPayment>,
) -> Result<impl IntoResponse, ApiError> {
    let payment = payments(&state)?.pay_scan(&who, &id, &body, &request_id.0).await?;
    Ok((StatusCode::CREATED, Json(payment)))
}

/// A store's static code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoreCode {
    pub merchant_id: String,
    pub store_id: String,
    /// The EMVCo payload to print (also as `qr.svg` and `qr.png`).
    pub payload: String,
}

/// A store's static code (the poster's text), for its staff.
#[utoipa::path(get, path = "/v1/merchants/{id}/stores/{store_id}/qr", tag = "merchants", security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("store_id" = String, Path, description = "The store's id.")),
    responses((status = 200, description = "The store's code.", body = StoreCode), Common, FullSession, Missing))]
pub async fn store_code(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, store_id)): Path<(String, String)>,
) -> Result<Json<StoreCode>, ApiError> {
    let (payload, merchant, store) = payments(&state)?.store_code_for(&who, &id, &store_id, &client).await?;
    Ok(Json(StoreCode { merchant_id: merchant.id, store_id: store.id, payload }))
}

/// A store's static code as an SVG poster.
#[utoipa::path(get, path = "/v1/merchants/{id}/stores/{store_id}/qr.svg", tag = "merchants",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("store_id" = String, Path, description = "The store's id.")),
    responses((status = 200, description = "SVG.", content_type = "image/svg+xml", body = String), Common, FullSession,
        Missing))]
pub async fn store_svg(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, store_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (payload, _, store) = payments(&state)?.store_code_for(&who, &id, &store_id, &client).await?;
    Ok(download("image/svg+xml", &store.id, "svg", poster::svg(&payload)?.into_bytes()))
}

/// A store's static code as a PNG poster.
#[utoipa::path(get, path = "/v1/merchants/{id}/stores/{store_id}/qr.png", tag = "merchants",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The merchant's id."),
        ("store_id" = String, Path, description = "The store's id.")),
    responses((status = 200, description = "PNG.", content_type = "image/png", body = Vec<u8>), Common, FullSession,
        Missing))]
pub async fn store_png(
    State(state): State<AppState>,
    Caller(client): Caller,
    SignedIn(who): SignedIn,
    Path((id, store_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (payload, _, store) = payments(&state)?.store_code_for(&who, &id, &store_id, &client).await?;
    Ok(download("image/png", &store.id, "png", poster::png(&payload)?))
}

/// A file to save: its type, and a name from the store's id (ids are `[a-z0-9_]`, safe in a header).
pub(crate) fn download(content_type: &'static str, store_id: &str, ext: &str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"anshin-{store_id}.{ext}\"");
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}
