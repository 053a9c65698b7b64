//! Merchant values parsed once at the edge, the roles staff hold, and the context's error type.

use serde::Serialize;

use crate::identity::IdentityError;
use crate::identity::types::is_hidden;

/// Where a merchant stands. Only `Active` merchants take payments or get payouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MerchantStatus {
    /// Proposed by one operator; another must approve it before it can do anything.
    PendingReview,
    Active,
    /// Takes nothing until an operator reactivates it.
    Suspended,
    Rejected,
}

impl MerchantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantStatus::PendingReview => "pending_review",
            MerchantStatus::Active => "active",
            MerchantStatus::Suspended => "suspended",
            MerchantStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> MerchantStatus {
        match s {
            "active" => MerchantStatus::Active,
            "suspended" => MerchantStatus::Suspended,
            "rejected" => MerchantStatus::Rejected,
            _ => MerchantStatus::PendingReview,
        }
    }
}

/// What a member of a merchant may do. A cashier takes payments and nothing else that moves
/// money back or changes settings; a manager runs the stores; the owner also controls where
/// the money goes and who works there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    Owner,
    Manager,
    Cashier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    TakePayments,
    ViewPayments,
    Refund,
    ManageStores,
    ManageKeys,
    ManageWebhooks,
    /// Adding staff; a manager may add cashiers only (checked where staff are added).
    ManageStaff,
    ManagePayout,
    /// Settlements and payouts: owners and managers (the money, not the till).
    ViewSettlements,
}

impl StaffRole {
    pub fn parse(s: &str) -> Option<StaffRole> {
        match s {
            "owner" => Some(StaffRole::Owner),
            "manager" => Some(StaffRole::Manager),
            "cashier" => Some(StaffRole::Cashier),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Owner => "owner",
            StaffRole::Manager => "manager",
            StaffRole::Cashier => "cashier",
        }
    }
    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            StaffRole::Owner => true,
            StaffRole::Manager => !matches!(p, ManagePayout),
            StaffRole::Cashier => matches!(p, TakePayments | ViewPayments),
        }
    }
    /// Whom a member of staff may add: the owner anyone, a manager cashiers only.
    pub fn may_add(self, role: StaffRole) -> bool {
        match self {
            StaffRole::Owner => true,
            StaffRole::Manager => role == StaffRole::Cashier,
            StaffRole::Cashier => false,
        }
    }
}

/// ISO 18245 merchant category code: four digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mcc(String);

impl Mcc {
    pub fn parse(s: &str) -> Result<Mcc, String> {
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) && s != "0000" {
            Ok(Mcc(s.to_owned()))
        } else {
            Err("the merchant category code is four digits (ISO 18245), for example 5812".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Japanese postal code, stored as seven digits (`100-0001` is read as `1000001`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(s: &str) -> Result<PostalCode, String> {
        let digits: String = s.chars().filter(|&c| c != '-').collect();
        if digits.len() == 7 && s.len() <= 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PostalCode(digits))
        } else {
            Err("the postal code is seven digits, for example 100-0001".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name or address line a person reads (a merchant's legal name, a store's name or address):
/// the identity rules for legal names (no control or invisible characters), up to `max_chars`.
pub fn display_text(s: &str, max_chars: usize, what: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > max_chars || s.chars().any(is_hidden) {
        return Err(format!("{what} must be 1 to {max_chars} characters, without control or invisible characters"));
    }
    // Runs of any spaces (the full-width U+3000 of Japanese input among them) become one.
    Ok(s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Fee rates are whole basis points: 0 to 10% (anything higher is a typo, not a price).
pub const MAX_FEE_RATE_BP: i64 = 1_000;
/// The platform's default merchant fee: 2.6%, before consumption tax on the fee.
pub const DEFAULT_FEE_RATE_BP: i64 = 260;

/// The one error type of the merchants context; the HTTP layer maps each variant to a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerchantError {
    #[error("{message}")]
    Invalid { code: &'static str, message: String, param: &'static str },
    /// Unknown, or belonging to another merchant: the same answer, so ids cannot be probed.
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("{0}")]
    Conflict(&'static str),
    /// The merchant is not active (pending review, suspended or rejected).
    #[error("the merchant is {0}")]
    NotActive(&'static str),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl MerchantError {
    pub(crate) fn invalid(code: &'static str, param: &'static str) -> impl FnOnce(String) -> MerchantError {
        move |message| MerchantError::Invalid { code, message, param }
    }
}

impl From<sqlx::Error> for MerchantError {
    fn from(e: sqlx::Error) -> Self {
        MerchantError::Identity(IdentityError::from(e))
    }
}

impl From<crate::ledger::LedgerError> for MerchantError {
    fn from(e: crate::ledger::LedgerError) -> Self {
        MerchantError::Identity(IdentityError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cashier_takes_payments_but_never_refunds_or_changes_settings() {
        let cashier = StaffRole::Cashier;
        assert!(cashier.may(Permission::TakePayments));
        for p in [
            Permission::Refund,
            Permission::ManageStores,
            Permission::ManageKeys,
            Permission::ManageWebhooks,
            Permission::ManageStaff,
            Permission::ManagePayout,
        ] {
            assert!(!cashier.may(p), "{p:?}");
        }
        assert!(StaffRole::Manager.may(Permission::Refund));
        assert!(!StaffRole::Manager.may(Permission::ManagePayout));
        assert!(StaffRole::Owner.may(Permission::ManagePayout));
        assert!(StaffRole::Manager.may_add(StaffRole::Cashier) && !StaffRole::Manager.may_add(StaffRole::Manager));
        assert!(StaffRole::Owner.may_add(StaffRole::Owner) && !StaffRole::Cashier.may_add(StaffRole::Cashier));
    }

    #[test]
    fn codes_parse_once() {
        assert_eq!(PostalCode::parse("100-0001").unwrap().as_str(), "1000001");
        assert!(PostalCode::parse("100-000").is_err());
        assert!(PostalCode::parse("１００００01").is_err());
        assert!(Mcc::parse("5812").is_ok());
        assert!(Mcc::parse("581").is_err() && Mcc::parse("0000").is_err() && Mcc::parse("58a2").is_err());
    }
}
