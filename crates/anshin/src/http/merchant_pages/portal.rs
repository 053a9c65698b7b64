//! The portal page: the merchant and each part its member of staff may see, with the forms for
//! what their role may change. A `GET`: it reads, and changes nothing.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Staff, merchants, refused_page, staff};
use crate::http::AppState;
use crate::http::identity::Caller;
use crate::http::lang::{gap, page_locale, t, t_args};
use crate::http::pages::{PageResult, layout, with_csrf};
use crate::i18n::tokyo_date_time;
use crate::identity::{Client, StepUpAction};
use crate::merchants::{
    Merchant, MerchantError, MerchantStatus, Merchants, PayoutAccount, Permission, PosKey, StaffMember, StaffRole,
    Store, WebhookEndpoint,
};

#[derive(Deserialize)]
pub struct PortalQuery {
    /// The action a step-up just confirmed (the step-up page comes back with it).
    confirmed: Option<String>,
}

/// What the member of staff may see, read once per page view.
struct View {
    merchant: Merchant,
    stores: Vec<Store>,
    staff: Option<Vec<StaffMember>>,
    pos_keys: Option<Vec<PosKey>>,
    webhooks: Option<Vec<WebhookEndpoint>>,
    payout: Option<Vec<PayoutAccount>>,
}

/// Only the parts the role may see are read: asking the service for the others would be refused
/// and audited as an authorization failure on every page view.
async fn read(m: &Merchants, s: &Staff, client: &Client) -> Result<View, MerchantError> {
    let (id, may) = (s.merchant_id(), |p: Permission| s.role.may(p));
    Ok(View {
        merchant: m.get(&s.who, id, client).await?,
        stores: m.stores(&s.who, id, client).await?,
        staff: if may(Permission::ManageStaff) { Some(m.staff(&s.who, id, client).await?) } else { None },
        pos_keys: if may(Permission::ManageKeys) { Some(m.pos_keys(&s.who, id, client).await?) } else { None },
        webhooks: if may(Permission::ManageWebhooks) { Some(m.webhooks(&s.who, id, client).await?) } else { None },
        payout: if may(Permission::ManagePayout) { Some(m.payout_accounts(&s.who, id, client).await?) } else { None },
    })
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Caller(client): Caller,
    Query(q): Query<PortalQuery>,
) -> PageResult {
    let s = staff(&state, &headers).await?;
    let m = merchants(&state)?;
    let delay_hours = m.payout_change_delay_secs() / 3600;
    let view = read(m, &s, &client).await.map_err(|e| refused_page(&t("problem-failed-title"), &e, None))?;
    let confirmed = q.confirmed.as_deref().and_then(StepUpAction::parse);
    let may = |p| s.role.may(p);
    Ok(with_csrf(&headers, StatusCode::OK, |csrf| {
        layout(
            &t("merchant-title"),
            html! {
                @if confirmed.is_some() { p #confirmed .notice.success role="status" { (t("merchant-step-up-done")) } }
                (summary(&view.merchant, s.role))
                ul.links {
                    li { a #payments-link href="/merchant/payments" { (t("merchant-payments-title")) } }
                    li { a #till-link href="/merchant/till" { (t("till-link")) } }
                    li { a href="/wallet/security" { (t("merchant-security")) } }
                    li { a href="/wallet/sessions" { (t("security-sessions-link")) } }
                    @if may(Permission::ViewSettlements) { li { a #settlements-link href="/merchant/settlements" { (t("settlement-link")) } } }
                }
                (super::stores::stores_section(csrf, &view.stores, may(Permission::ManageStores)))
                @if let Some(staff) = &view.staff { (super::stores::staff_section(csrf, staff, s.role)) }
                @if let Some(keys) = &view.pos_keys { (super::credentials::pos_keys_section(csrf, keys, &view.stores)) }
                @if let Some(hooks) = &view.webhooks { (super::credentials::webhooks_section(csrf, hooks)) }
                @if let Some(accounts) = &view.payout { (super::payout::payout_section(csrf, accounts, delay_hours)) }
            },
        )
    }))
}

/// The merchant at a glance, and why it can do nothing when it is not active.
fn summary(m: &Merchant, role: StaffRole) -> Markup {
    html! {
        dl.facts {
            dt { (t("merchant-legal-name")) } dd #merchant-name { (m.legal_name) }
            dt { (t("merchant-number")) } dd #merchant-number { (m.number) }
            dt { (t("merchant-status")) } dd #merchant-status data-status=(m.status.as_str()) { (status_name(m.status)) }
            dt { (t("merchant-your-role")) } dd #role data-role=(role.as_str()) { (role_name(role.as_str())) }
        }
        @match m.status {
            MerchantStatus::Active => {}
            MerchantStatus::PendingReview => { p.notice.info role="status" { (t("merchant-pending-note")) } }
            _ => {
                p.notice.error role="alert" {
                    (t("merchant-inactive-note"))
                    @if !m.status_reason.is_empty() { (gap()) (t_args("merchant-reason", &[("reason", (&m.status_reason).into())])) }
                }
            }
        }
    }
}

pub fn status_name(status: MerchantStatus) -> String {
    t(&format!("merchant-status-{}", status.as_str().replace('_', "-")))
}

pub(super) fn role_name(role: &str) -> String {
    match StaffRole::parse(role) {
        Some(r) => t(&format!("staff-role-{}", r.as_str())),
        None => role.to_owned(),
    }
}

/// A moment, as people in Japan read it.
pub(super) fn when(at_ms: i64) -> String {
    tokyo_date_time(at_ms, page_locale())
}

/// Basis points as a percentage: 260 is 2.60%.
pub fn fee_rate(bp: i64) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Locale, has_message};

    /// Ids built from a value (`merchant-status-{status}`) escape the catalog test, which reads
    /// only literal ids: each value a page can show has its words.
    #[test]
    fn every_status_and_role_has_its_words() {
        let mut ids: Vec<String> = [
            MerchantStatus::PendingReview,
            MerchantStatus::Active,
            MerchantStatus::Suspended,
            MerchantStatus::Rejected,
        ]
        .iter()
        .map(|s| format!("merchant-status-{}", s.as_str().replace('_', "-")))
        .collect();
        ids.extend(["owner", "manager", "cashier"].map(|r| format!("staff-role-{r}")));
        ids.extend(super::super::stores::DYNAMIC_IDS.iter().map(|s| (*s).to_owned()));
        ids.extend(super::super::payout::DYNAMIC_IDS.iter().map(|s| (*s).to_owned()));
        for id in &ids {
            for locale in Locale::ALL {
                assert!(has_message(locale, id), "{id} missing in {locale:?}");
            }
        }
    }

    #[test]
    fn fee_rates_read_as_percentages() {
        assert_eq!(fee_rate(260), "2.60%");
        assert_eq!(fee_rate(5), "0.05%");
        assert_eq!(fee_rate(1_000), "10.00%");
    }
}
