//! The wallet's `/wallet/cards`: registered cards (brand, last four, expiry; remove one), a form
//! to add a card, a card top-up form, and the latest card top-ups. Adding a card or topping up
//! calls the same `Cards` function as the JSON API; when the issuer wants a challenge the browser
//! goes straight to the challenge page (`/3ds/challenge/{id}`), which hands it to the issuer and
//! comes back to `/3ds/notify`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use maud::html;
use serde::Deserialize;

use crate::cards::{AddCardRequest, CardTopUpRequest, Cards, CardsError};
use crate::http::AppState;
use crate::http::error::{ApiError, Form};
use crate::http::identity::Caller;
use crate::http::lang::{page_locale, t, t_args};
use crate::http::pages::{PageError, PageResult, api_refusal, check_csrf, full, layout, with_csrf};
use crate::i18n::{tokyo_date_time, yen};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/wallet/cards", get(cards_page).post(add_card))
        .route("/wallet/cards/remove", post(remove_card))
        .route("/wallet/card-top-ups", post(top_up))
}

fn cards(state: &AppState) -> Result<&Cards, PageError> {
    state.cards.as_ref().ok_or_else(|| failed(&CardsError::NetworkUnavailable))
}

/// A refused change as a page, under the status the API answers, in the page's language.
fn failed(e: &CardsError) -> PageError {
    api_refusal(ApiError::from(e.clone()))
}

pub async fn cards_page(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    let who = full(&state, &headers).await?;
    let c = cards(&state)?;
    let list = c.cards(&who).await.map_err(|e| failed(&e))?;
    let top_ups = c.top_ups(&who).await.map_err(|e| failed(&e))?;
    let active: Vec<_> = list.iter().filter(|card| card.status == "active").collect();
    let limit = yen(c.config().per_top_up_limit_minor);
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("cards-title"),
            html! {
                h2 { (t("cards-list")) }
                @if list.is_empty() { p { (t("cards-none")) } }
                ul #cards .items {
                    @for card in &list {
                        li data-card=(card.id) data-status=(card.status) {
                            strong { (card.brand) " •••• " (card.last4) }
                            span.meta { (format!("{:02}/{}", card.exp_month, card.exp_year)) }
                            span.meta.status { (t(&format!("cards-status-{}", card.status))) }
                            form method="post" action="/wallet/cards/remove" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="id" value=(card.id);
                                button.secondary id={"remove-" (card.id)} type="submit" { (t("cards-remove")) }
                            }
                        }
                    }
                }
                h2 { (t("cards-add")) }
                p { (t("cards-add-why")) }
                form method="post" action="/wallet/cards" autocomplete="off" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="number" { (t("cards-number")) }
                    input #number name="number" required inputmode="numeric" autocomplete="cc-number" maxlength="23";
                    label for="exp_month" { (t("cards-exp-month")) }
                    input #exp_month name="exp_month" required inputmode="numeric" autocomplete="cc-exp-month" maxlength="2";
                    label for="exp_year" { (t("cards-exp-year")) }
                    input #exp_year name="exp_year" required inputmode="numeric" autocomplete="cc-exp-year" maxlength="4";
                    label for="security_code" { (t("cards-security-code")) }
                    input #security_code name="security_code" required inputmode="numeric" autocomplete="cc-csc" maxlength="4";
                    button #add-card type="submit" { (t("cards-add-submit")) }
                }
                h2 { (t("cards-top-up")) }
                @if active.is_empty() { p { (t("cards-top-up-needs-card")) } } @else {
                    form method="post" action="/wallet/card-top-ups" {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="card_id" { (t("cards-top-up-from")) }
                        select #card_id name="card_id" {
                            @for card in &active { option value=(card.id) { (card.brand) " •••• " (card.last4) } }
                        }
                        label for="amount_minor" { (t("cards-top-up-amount")) }
                        input #amount_minor name="amount_minor" required inputmode="numeric";
                        p.hint { (t_args("cards-top-up-limits", &[("amount", limit.as_str().into())])) }
                        button #card-top-up type="submit" { (t("cards-top-up-submit")) }
                    }
                }
                h2 { (t("cards-top-ups")) }
                @if top_ups.is_empty() { p { (t("cards-top-ups-none")) } }
                ul #card-top-ups .items {
                    @for tu in &top_ups {
                        li data-top-up=(tu.id) data-status=(tu.status) {
                            strong { (yen(tu.amount_minor)) }
                            span.meta.status { (t(&format!("cards-top-up-status-{}", tu.status))) }
                            span.meta { (tokyo_date_time(tu.created_at_ms, page_locale())) }
                        }
                    }
                }
            },
        )
    }))
}

#[derive(Deserialize, Default)]
pub struct AddCardForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    exp_month: String,
    #[serde(default)]
    exp_year: String,
    #[serde(default)]
    security_code: String,
}

/// A whole number from a form field, or the field's own error.
fn number_field(raw: &str, code: &'static str, param: &'static str) -> Result<i64, PageError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| failed(&CardsError::Invalid { code, message: format!("{param} must be a number"), param }))
}

pub async fn add_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<AddCardForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let req = AddCardRequest {
        number: form.number,
        exp_month: number_field(&form.exp_month, "expiry_invalid", "exp_month")?,
        exp_year: number_field(&form.exp_year, "expiry_invalid", "exp_year")?,
        security_code: form.security_code.trim().to_owned(),
    };
    let added = cards(&state)?.add_card(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(&next_page(added.challenge_url.as_deref())).into_response())
}

#[derive(Deserialize, Default)]
pub struct IdForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

pub async fn remove_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<IdForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    cards(&state)?.remove_card(&who, &form.id, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to("/wallet/cards").into_response())
}

#[derive(Deserialize, Default)]
pub struct TopUpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    card_id: String,
    #[serde(default)]
    amount_minor: String,
}

pub async fn top_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<TopUpForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let who = full(&state, &headers).await?;
    let digits: String = form.amount_minor.chars().filter(|c| !matches!(c, ',' | '¥' | ' ')).collect();
    let req = CardTopUpRequest {
        card_id: form.card_id,
        amount_minor: number_field(&digits, "amount_invalid", "amount_minor")?,
    };
    let started = cards(&state)?.request_top_up(&who, &req, &client).await.map_err(|e| failed(&e))?;
    Ok(Redirect::to(&next_page(started.challenge_url.as_deref())).into_response())
}

/// The challenge page by its path, on the origin the browser is on (the page's CSP sends forms
/// only there, redirects included), or back to the cards page.
fn next_page(challenge_url: Option<&str>) -> String {
    challenge_url
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|| "/wallet/cards".into())
}
