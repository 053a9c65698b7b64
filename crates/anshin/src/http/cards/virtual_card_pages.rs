//! The wallet's `/wallet/virtual-card`: issue the card; its brand, last four, expiry, status and
//! limits; show the number after a step-up (the page masks it again after 60 s, and the number
//! is only ever in a POST's response, never in a URL); freeze, replace, set limits; the recent
//! authorisations. Every change calls the same `Cards` function as the JSON API.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use crate::cards::virtual_card::{Category, VirtualCardLimits};
use crate::cards::{Cards, CardsError, VirtualCard};
use crate::http::AppState;
use crate::http::error::{ApiError, Form};
use crate::http::identity::Caller;
use crate::http::lang::{page_locale, t};
use crate::http::pages::{PageError, PageResult, check_csrf, full, layout, refusal_or_step_up, with_csrf};
use crate::i18n::{tokyo_date_time, yen};
use crate::identity::StepUpAction;

const PAGE: &str = "/wallet/virtual-card";
const SCRIPT: &str = include_str!("../../../static/virtual-card.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route("/wallet/virtual-card/issue", post(issue))
        .route("/wallet/virtual-card/reveal", post(reveal))
        .route("/wallet/virtual-card/freeze", post(freeze))
        .route("/wallet/virtual-card/replace", post(replace))
        .route("/wallet/virtual-card/limits", post(limits))
        .route("/static/virtual-card.js", get(script))
}

/// `GET /static/virtual-card.js`: masks a revealed number when its time is up.
async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT,
    )
        .into_response()
}

fn cards(state: &AppState) -> Result<&Cards, PageError> {
    state.cards.as_ref().ok_or_else(|| failed(&CardsError::NetworkUnavailable))
}

/// A refused change as a page; one that needs a fresh second factor goes to the step-up page,
/// which comes back here.
fn failed(e: &CardsError) -> PageError {
    refusal_or_step_up(ApiError::from(e.clone()), StepUpAction::RevealCard)
}

fn masked(card: &VirtualCard) -> String {
    format!("•••• •••• •••• {}", card.last4)
}

/// The page; `revealed` is the number to show (only in the reveal's own response) and for how long.
async fn render(state: &AppState, headers: &HeaderMap, revealed: Option<(String, u64)>) -> PageResult {
    let who = full(state, headers).await?;
    let c = cards(state)?;
    let client = crate::identity::Client::default();
    let card = c.virtual_card(&who, &client).await.map_err(|e| failed(&e))?;
    let authorizations = c.virtual_card_authorizations(&who, &client).await.map_err(|e| failed(&e))?;
    Ok(with_csrf(headers, StatusCode::OK, |csrf| {
        layout(
            &t("vcard-title"),
            html! {
                p { (t("vcard-why")) }
                @match &card {
                    None => {
                        p #no-card { (t("vcard-none")) }
                        (button(csrf, "/wallet/virtual-card/issue", "issue-card", &t("vcard-issue"), &[]))
                    }
                    Some(card) => { (card_facts(card, revealed.as_ref())) (controls(csrf, card)) }
                }
                h2 { (t("vcard-authorizations")) }
                @if authorizations.is_empty() { p { (t("vcard-authorizations-none")) } }
                ul #authorizations .items {
                    @for a in &authorizations {
                        li data-status=(a.status) {
                            strong { (a.merchant_name) " " (yen(a.amount_minor)) }
                            span.meta.status { (t(&format!("vcard-auth-{}", a.status))) }
                            @if !a.decline_reason.is_empty() {
                                span.meta { (t(&format!("vcard-decline-{}", a.decline_reason.replace('_', "-")))) }
                            }
                            span.meta { (tokyo_date_time(a.created_at_ms, page_locale())) }
                        }
                    }
                }
            },
        )
    }))
}

fn card_facts(card: &VirtualCard, revealed: Option<&(String, u64)>) -> Markup {
    html! {
        dl #virtual-card .facts data-status=(card.status) {
            dt { (t("vcard-number")) }
            dd {
                @if let Some((number, secs)) = revealed {
                    span #card-number data-mask-after-secs=(secs) data-masked=(masked(card)) { (number) }
                    script src="/static/virtual-card.js" {}
                } @else {
                    span #card-number { (masked(card)) }
                }
            }
            dt { (t("vcard-brand")) } dd { (card.brand.to_uppercase()) }
            dt { (t("vcard-expiry")) } dd #card-expiry { (format!("{:02}/{}", card.exp_month, card.exp_year)) }
            dt { (t("vcard-status")) } dd #card-status { (t(&format!("vcard-status-{}", card.status))) }
            dt { (t("vcard-limit")) } dd #card-limit { (yen(card.per_transaction_limit_minor)) }
        }
        @if revealed.is_some() { p.hint { (t("vcard-masked-soon")) } }
    }
}

fn controls(csrf: &str, card: &VirtualCard) -> Markup {
    let frozen = card.status == "frozen";
    html! {
        (button(csrf, "/wallet/virtual-card/reveal", "reveal-card", &t("vcard-reveal"), &[]))
        @if frozen {
            (button(csrf, "/wallet/virtual-card/freeze", "unfreeze-card", &t("vcard-unfreeze"), &[("frozen", "false")]))
        } @else {
            (button(csrf, "/wallet/virtual-card/freeze", "freeze-card", &t("vcard-freeze"), &[("frozen", "true")]))
        }
        p.hint { (t("vcard-replace-why")) }
        (button(csrf, "/wallet/virtual-card/replace", "replace-card", &t("vcard-replace"), &[]))
        h2 { (t("vcard-limits")) }
        form method="post" action="/wallet/virtual-card/limits" {
            input type="hidden" name="csrf" value=(csrf);
            label for="per_transaction_limit_minor" { (t("vcard-limit")) }
            input #per_transaction_limit_minor name="per_transaction_limit_minor" inputmode="numeric" required
                value=(card.per_transaction_limit_minor);
            fieldset {
                legend { (t("vcard-blocked")) }
                @for category in Category::ALL {
                    label {
                        input type="checkbox" name="blocked" value=(category.as_str())
                            id={"block-" (category.as_str())}
                            checked[card.blocked_categories.contains(&category)];
                        " " (t(&format!("vcard-category-{}", category.as_str().replace('_', "-"))))
                    }
                }
            }
            button #save-limits type="submit" { (t("vcard-save-limits")) }
        }
    }
}

fn button(csrf: &str, action: &str, id: &str, label: &str, fields: &[(&str, &str)]) -> Markup {
    html! {
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            @for (name, value) in fields { input type="hidden" name=(name) value=(value); }
            button id=(id) type="submit" { (label) }
        }
    }
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    render(&state, &headers, None).await
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn issue(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    cards(&state)?.issue_virtual_card(&who, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(PAGE).into_response())
}

/// The number, in this POST's response only (no redirect to a page that would carry it), never
/// cached: the page masks it again after its time.
pub async fn reveal(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let c = cards(&state)?;
    let (_, number) = c.reveal_virtual_card(&who, &client).await.map_err(|e| failed(&e))?;
    let secs = c.config().virtual_cards.reveal_shown_secs;
    let mut response = render(&state, &headers, Some((number.expose_digits_for_display(), secs))).await?;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize, Default)]
pub struct FreezeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    frozen: String,
}

pub async fn freeze(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<FreezeForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let frozen = form.frozen == "true";
    cards(&state)?.freeze_virtual_card(&who, frozen, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(PAGE).into_response())
}

pub async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    cards(&state)?.replace_virtual_card(&who, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(PAGE).into_response())
}

/// The limits form: `blocked` repeats once per ticked category (read from the raw body, since the
/// form extractor keeps one value per name).
pub async fn limits(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    body: axum::body::Bytes,
) -> PageResult {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    check_csrf(&headers, &field("csrf"))?;
    let who = full(&state, &headers).await?;
    let digits: String =
        field("per_transaction_limit_minor").chars().filter(|c| !matches!(c, ',' | '¥' | ' ')).collect();
    let Ok(per_transaction_limit_minor) = digits.parse::<i64>() else {
        let message = "per_transaction_limit_minor must be a number".to_owned();
        let param = "per_transaction_limit_minor";
        return Err(failed(&CardsError::Invalid { code: "per_transaction_limit_invalid", message, param }));
    };
    let blocked_categories =
        pairs.iter().filter(|(k, _)| k == "blocked").filter_map(|(_, v)| Category::parse(v)).collect();
    let limits = VirtualCardLimits { per_transaction_limit_minor, blocked_categories };
    cards(&state)?.set_virtual_card_limits(&who, &limits, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(PAGE).into_response())
}
