//! Stores and staff in the portal: the lists, adding a store, closing and reopening one, and
//! adding a member of staff (whose one-time initial password is shown once).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::portal::role_name;
use super::{back_to_portal, merchants, refused, shown_once, staff};
use crate::http::AppState;
use crate::http::error::Form;
use crate::http::identity::Caller;
use crate::http::lang::{t, t_args};
use crate::http::pages::{PageResult, check_csrf};
use crate::identity::StepUpAction;
use crate::merchants::stores::{NewStaff, NewStore};
use crate::merchants::{StaffMember, StaffRole, Store};

/// Catalog ids this file builds from values (checked in `portal`'s tests).
pub(super) const DYNAMIC_IDS: &[&str] =
    &["store-status-open", "store-status-closed", "staff-status-active", "staff-status-locked"];

/// A value's words when the catalog has them (`store-status-open`), else the value itself.
fn worded(prefix: &str, value: &str) -> String {
    let id = format!("{prefix}-{value}");
    if DYNAMIC_IDS.contains(&id.as_str()) { t(&id) } else { value.to_owned() }
}

/// `1500002` as `〒150-0002`.
fn postal(code: &str) -> String {
    match (code.get(..3), code.get(3..)) {
        (Some(a), Some(b)) if code.len() == 7 => format!("〒{a}-{b}"),
        _ => code.to_owned(),
    }
}

pub(super) fn stores_section(csrf: &str, stores: &[Store], may_manage: bool) -> Markup {
    html! {
        h2 #stores-heading { (t("merchant-stores")) }
        @if stores.is_empty() { p { (t("merchant-stores-none")) } }
        ul #stores .items {
            @for s in stores {
                li data-store=(s.id) data-status=(s.status) {
                    strong { (s.name) }
                    span.meta { (t_args("merchant-store-number", &[("number", s.number.into())])) " · " (worded("store-status", &s.status)) }
                    span.meta { (postal(&s.postal_code)) " " (s.address) }
                    span.meta.poster {
                        (t("merchant-poster")) " "
                        a.poster-png href=(format!("/merchant/stores/{}/poster.png", s.id)) download { (t("merchant-poster-png")) }
                        " · "
                        a.poster-svg href=(format!("/merchant/stores/{}/poster.svg", s.id)) download { (t("merchant-poster-svg")) }
                    }
                    @if may_manage {
                        form method="post" action="/merchant/stores/status" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="store_id" value=(s.id);
                            @if s.status == "open" {
                                input type="hidden" name="open" value="false";
                                button.secondary type="submit" { (t("merchant-store-close")) }
                            } @else {
                                input type="hidden" name="open" value="true";
                                button.secondary type="submit" { (t("merchant-store-reopen")) }
                            }
                        }
                    }
                }
            }
        }
        @if may_manage {
            h3 { (t("merchant-store-add")) }
            form method="post" action="/merchant/stores" {
                input type="hidden" name="csrf" value=(csrf);
                label for="store_name" { (t("merchant-store-name")) }
                input #store_name name="name" required maxlength="100";
                label for="postal_code" { (t("merchant-store-postal-code")) }
                input #postal_code name="postal_code" required inputmode="numeric" autocomplete="postal-code" aria-describedby="postal-hint";
                p #postal-hint .hint { (t("merchant-store-postal-hint")) }
                label for="address" { (t("merchant-store-address")) }
                input #address name="address" required maxlength="200";
                button #add-store type="submit" { (t("merchant-store-add")) }
            }
        }
    }
}

pub(super) fn staff_section(csrf: &str, staff: &[StaffMember], me: StaffRole) -> Markup {
    let may_add: Vec<StaffRole> =
        [StaffRole::Cashier, StaffRole::Manager, StaffRole::Owner].into_iter().filter(|r| me.may_add(*r)).collect();
    html! {
        h2 #staff-heading { (t("merchant-staff")) }
        ul #staff .items {
            @for m in staff {
                li data-user=(m.user_id) {
                    strong { (m.legal_name) }
                    span.meta { (m.email) }
                    span.meta { (role_name(&m.role)) " · " (worded("staff-status", &m.status)) }
                }
            }
        }
        @if !may_add.is_empty() {
            h3 { (t("merchant-staff-add")) }
            form method="post" action="/merchant/staff" {
                input type="hidden" name="csrf" value=(csrf);
                label for="staff_email" { (t("common-email")) }
                input #staff_email name="email" type="email" required autocomplete="off";
                label for="staff_name" { (t("merchant-staff-name")) }
                input #staff_name name="legal_name" required maxlength="100" autocomplete="off";
                label for="staff_role" { (t("merchant-staff-role")) }
                select #staff_role name="role" {
                    @for r in &may_add { option value=(r.as_str()) { (role_name(r.as_str())) } }
                }
                p.hint { (t("merchant-needs-step-up")) }
                button #add-staff type="submit" { (t("merchant-staff-add")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct StoreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    address: String,
}

pub async fn add_store(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StoreForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let new = NewStore { name: form.name, postal_code: form.postal_code, address: form.address };
    merchants(&state)?.add_store(&s.who, s.merchant_id(), &new, &client).await.map_err(|e| refused(&e, None))?;
    Ok(back_to_portal())
}

#[derive(Deserialize)]
pub struct StoreStatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    store_id: String,
    #[serde(default)]
    open: String,
}

pub async fn store_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StoreStatusForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let open = form.open == "true";
    merchants(&state)?
        .set_store_open(&s.who, s.merchant_id(), &form.store_id, open, &client)
        .await
        .map_err(|e| refused(&e, None))?;
    Ok(back_to_portal())
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    legal_name: String,
    #[serde(default)]
    role: String,
}

pub async fn add_staff(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Form(form): Form<StaffForm>,
) -> PageResult {
    check_csrf(&headers, &form.csrf)?;
    let s = staff(&state, &headers).await?;
    let new = NewStaff { email: form.email.clone(), legal_name: form.legal_name.clone(), role: form.role };
    let password = merchants(&state)?
        .add_staff(&s.who, s.merchant_id(), &new, &client)
        .await
        .map_err(|e| refused(&e, Some(StepUpAction::AddStaff)))?;
    Ok(staff_added(&form.legal_name, &form.email, &password))
}

/// The initial password, once: the new member signs in with it and must set up an
/// authenticator app before anything else.
fn staff_added(name: &str, email: &str, password: &str) -> Response {
    let done = t_args("merchant-staff-added", &[("name", name.into()), ("email", email.into())]);
    shown_once(&t("merchant-staff-added-title"), &done, "initial-password", password, &t("merchant-staff-hand-over"))
}
