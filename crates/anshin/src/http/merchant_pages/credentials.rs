//! POS keys and webhook endpoints in the portal. Lists never hold a secret; creating a key,
//! adding an endpoint or rotating its secret shows the secret once, on the answer to that form.

use axum::extract::State;
use axum::http::HeaderMap;
use maud::{Markup, html};
use serde::Deserialize;

use super::portal::when;
use super::{back_to_portal, merchants, refused, shown_once, staff};
use crate::http::AppState;
use crate::http::error::Form;
use crate::http::identity::Caller;
use crate::http::lang::{t, t_args};
use crate::http::pages::{PageResult, check_csrf};
use crate::identity::StepUpAction;
use crate::merchants::credentials::{NewPosKeyRequest, NewWebhookRequest};
use crate::merchants::{PosKey, Store, WebhookEndpoint};

pub(super) fn pos_keys_section(csrf: &str, keys: &[PosKey], stores: &[Store]) -> Markup {
    let store_name = |id: &str| stores.iter().find(|s| s.id == id).map_or_else(|| id.to_owned(), |s| s.name.clone());
    let open: Vec<&Store> = stores.iter().filter(|s| s.status == "open").collect();
    html! {
        h2 #pos-keys-heading { (t("merchant-pos-keys")) }
        p { (t("merchant-pos-keys-intro")) }
        ul #pos-keys .items {
            @for k in keys {
                li data-key=(k.id) {
                    strong { (k.label) }
                    span.meta { (store_name(&k.store_id)) " · " code { (k.id) } }
                    span.meta { (t_args("merchant-created-at", &[("time", when(k.created_at_ms).into())])) }
                    @if k.revoked_at_ms > 0 {
                        span.meta { (t_args("merchant-pos-key-revoked", &[("time", when(k.revoked_at_ms).into())])) }
                    } @else {
                        form method="post" action="/merchant/pos-keys/revoke" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="key_id" value=(k.id);
                            button.secondary type="submit" { (t("merchant-pos-key-revoke")) }
                        }
                    }
                }
            }
        }
        @if open.is_empty() {
            p { (t("merchant-pos-key-needs-store")) }
        } @else {
            h3 { (t("merchant-pos-key-create")) }
            form method="post" action="/merchant/pos-keys" {
                input type="hidden" name="csrf" value=(csrf);
                label for="pos_store" { (t("merchant-pos-key-store")) }
                select #pos_store name="store_id" { @for s in &open { option value=(s.id) { (s.name) } } }
                label for="pos_label" { (t("merchant-pos-key-label")) }
                input #pos_label name="label" required maxlength="100" aria-describedby="pos-label-hint";
                p #pos-label-hint .hint { (t("merchant-pos-key-label-hint")) }
                p.hint { (t("merchant-needs-step-up")) }
                button #create-pos-key type="submit" { (t("merchant-pos-key-create")) }
            }
        }
    }
}

pub(super) fn webhooks_section(csrf: &str, hooks: &[WebhookEndpoint]) -> Markup {
    html! {
        h2 #webhooks-heading { (t("merchant-webhooks")) }
        p { (t("merchant-webhooks-intro")) }
        ul #webhooks .items {
            @for w in hooks {
                li data-endpoint=(w.id) data-status=(w.status) {
                    code { (w.url) }
                    span.meta { (t_args("merchant-webhook-version", &[("count", w.secret_version.into())])) }
                    @if w.status == "enabled" {
                        form method="post" action="/merchant/webhooks/rotate" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="endpoint_id" value=(w.id);
                            button.secondary type="submit" { (t("merchant-webhook-rotate")) }
                        }
                        form method="post" action="/merchant/webhooks/disable" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="endpoint_id" value=(w.id);
                            button.secondary type="submit" { (t("merchant-webhook-disable")) }
                        }
                    } @else {
                        span.meta { (t("merchant-webhook-disabled")) }
                    }
                }
            }
        }
        h3 { (t("merchant-webhook-add")) }
        form method="post" action="/merchant/webhooks" {
            input type="hidden" name="csrf" value=(csrf);
            label for="webhook_url" { (t("merchant-webhook-url")) }
            input #webhook_url name="url" type="url" required maxlength="2048" aria-describedby="webhook-url-hint";
            p #webhook-url-hint .hint { (t("merchant-webhook-url-hint")) }
            p.hint { (t("merchant-needs-step-up")) }
            button #add-webhook type="submit" { (t("merchant-webhook-add")) }
        }
    }
}

#[derive(Deserialize)]
pub struct PosKeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    store_id: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    key_id: String,
}

pub async fn create_pos_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PosKeyForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let req = NewPosKeyRequest { store_id: form.store_id, label: form.label };
    let created = merchants(&state)?
        .create_pos_key(&s.who, s.merchant_id(), &req, &client)
        .await
        .map_err(|e| refused(&e, Some(StepUpAction::CreatePosKey)))?;
    let done =
        t_args("merchant-pos-key-created", &[("label", (&created.key.label).into()), ("id", (&created.key.id).into())]);
    Ok(shown_once(
        &t("merchant-pos-key-created-title"),
        &done,
        "pos-secret",
        &created.secret,
        &t("merchant-pos-key-keep"),
    ))
}

pub async fn revoke_pos_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<PosKeyForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    merchants(&state)?
        .revoke_pos_key(&s.who, s.merchant_id(), &form.key_id, &client)
        .await
        .map_err(|e| refused(&e, None))?;
    Ok(back_to_portal())
}

#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    endpoint_id: String,
}

pub async fn add_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<WebhookForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let created = merchants(&state)?
        .add_webhook(&s.who, s.merchant_id(), &NewWebhookRequest { url: form.url }, &client)
        .await
        .map_err(|e| refused(&e, Some(StepUpAction::ManageWebhooks)))?;
    let done = t_args("merchant-webhook-added", &[("url", (&created.endpoint.url).into())]);
    Ok(shown_once(
        &t("merchant-webhook-secret-title"),
        &done,
        "webhook-secret",
        &created.secret,
        &t("merchant-webhook-keep"),
    ))
}

/// A new secret; the old one keeps signing beside it for the overlap, so the receiver can
/// switch without missing an event.
pub async fn rotate_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<WebhookForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let m = merchants(&state)?;
    let rotated = m
        .rotate_webhook_secret(&s.who, s.merchant_id(), &form.endpoint_id, &client)
        .await
        .map_err(|e| refused(&e, Some(StepUpAction::ManageWebhooks)))?;
    let hours = m.webhook_secret_overlap_secs() / 3600;
    let done = t_args("merchant-webhook-rotated", &[("url", (&rotated.endpoint.url).into()), ("hours", hours.into())]);
    Ok(shown_once(
        &t("merchant-webhook-secret-title"),
        &done,
        "webhook-secret",
        &rotated.secret,
        &t("merchant-webhook-keep"),
    ))
}

pub async fn disable_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<WebhookForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    merchants(&state)?
        .disable_webhook(&s.who, s.merchant_id(), &form.endpoint_id, &client)
        .await
        .map_err(|e| refused(&e, None))?;
    Ok(back_to_portal())
}
