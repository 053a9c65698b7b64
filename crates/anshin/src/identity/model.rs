//! Identity types: who is asking, what they prove, and what the flows answer. Values from
//! outside are parsed once into these types at the edge.

use serde::Serialize;

/// Where a request came from, for guards, session records and audit.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The client's address: the TCP peer, or what a trusted proxy says it forwarded.
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
    /// The app's installation id (`X-Device-Id`), when the client sends one.
    pub device: Option<String>,
    /// The language of the request (`ja` or `en`), for new accounts' messages.
    pub locale: String,
}

/// The signed-in user behind a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub session_id: String,
    pub device_id: String,
    /// When the session's sign-in (or registration) proved a second factor.
    pub authenticated_at_ms: i64,
    pub kind: AccountKind,
    pub role: String,
    /// Merchant staff: the merchant they work for (`mer_…`); empty for everyone else.
    pub org_ref: String,
    /// `full`, or `enrol`: a staff or operator session that may only set up its first factor.
    pub scope: String,
}

impl Principal {
    pub fn is_full(&self) -> bool {
        self.scope == "full"
    }
}

/// Who an account belongs to. Staff and operators must always keep a strong factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Wallet,
    MerchantStaff,
    Operator,
}

impl AccountKind {
    pub fn parse(s: &str) -> AccountKind {
        match s {
            "operator" => AccountKind::Operator,
            "merchant_staff" => AccountKind::MerchantStaff,
            _ => AccountKind::Wallet,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Wallet => "wallet",
            AccountKind::MerchantStaff => "merchant_staff",
            AccountKind::Operator => "operator",
        }
    }
}

/// A second factor. `Email` is accepted only to lock an account (and as the extra proof a busy
/// source is asked for): an e-mail code never signs anyone in or unlocks anything by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Factor {
    Totp,
    Sms,
    RecoveryCode,
    Passkey,
    Email,
}

impl Factor {
    pub fn parse(s: &str) -> Option<Factor> {
        [Factor::Totp, Factor::Sms, Factor::RecoveryCode, Factor::Passkey, Factor::Email]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Totp => "totp",
            Factor::Sms => "sms",
            Factor::RecoveryCode => "recovery_code",
            Factor::Passkey => "passkey",
            Factor::Email => "email",
        }
    }
}

/// What a password-then-factor challenge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Lock,
    Unlock,
    StepUp,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Lock => "lock",
            Purpose::Unlock => "unlock",
            Purpose::StepUp => "step_up",
        }
    }
    pub fn parse(s: &str) -> Option<Purpose> {
        [Purpose::Login, Purpose::Lock, Purpose::Unlock, Purpose::StepUp].into_iter().find(|p| p.as_str() == s)
    }
    /// Sign-in and step-up need an active account, unlock a locked one; a lock works on either
    /// (locking a locked account again cancels a pending unlock).
    pub fn allows_status(self, status: &str) -> bool {
        match self {
            Purpose::Login | Purpose::StepUp => status == "active",
            Purpose::Unlock => status == "locked",
            Purpose::Lock => status == "active" || status == "locked",
        }
    }
    /// The factors this purpose accepts, given what the account has.
    pub fn accepts(self, factor: Factor) -> bool {
        factor != Factor::Email || self == Purpose::Lock
    }
}

/// The sensitive actions a step-up grant can be given for. A grant for one never authorises another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepUpAction {
    ChangePassword,
    ChangeContact,
    AddFactor,
    RemoveFactor,
    RevokeDevice,
    /// Operators (admins): start unlocking a user's account after an identity check.
    UnlockUser,
    /// Merchant owners and managers: add a member of staff.
    AddStaff,
    /// Merchant owners and managers: create a POS key (a credential that takes payments).
    CreatePosKey,
    /// Merchant owners and managers: add a webhook endpoint or rotate its secret.
    ManageWebhooks,
    /// Merchant owners: set or change the account payouts go to.
    ChangePayoutAccount,
    /// Merchant owners and managers: refund a payment from the portal.
    Refund,
    /// Wallet users: confirm a payment the decision point challenged (bound to that payment).
    ConfirmPayment,
    /// Wallet users: link a bank account that top-ups are pulled from.
    LinkBankAccount,
    /// Wallet users: submit an identity document for verification (eKYC).
    VerifyIdentity,
    /// Wallet users: send money to another wallet above the step-up threshold (spent with it).
    SendMoney,
    /// Wallet users: withdraw money to a bank account (always; spent with the withdrawal).
    Withdraw,
    /// Wallet users: see their virtual card's number once (vcard, issue 8 item 8).
    RevealCard,
}

impl StepUpAction {
    pub const ALL: [StepUpAction; 17] = [
        StepUpAction::ChangePassword,
        StepUpAction::ChangeContact,
        StepUpAction::AddFactor,
        StepUpAction::RemoveFactor,
        StepUpAction::RevokeDevice,
        StepUpAction::UnlockUser,
        StepUpAction::AddStaff,
        StepUpAction::CreatePosKey,
        StepUpAction::ManageWebhooks,
        StepUpAction::ChangePayoutAccount,
        StepUpAction::Refund,
        StepUpAction::ConfirmPayment,
        StepUpAction::LinkBankAccount,
        StepUpAction::VerifyIdentity,
        StepUpAction::SendMoney,
        StepUpAction::Withdraw,
        StepUpAction::RevealCard,
    ];
    pub fn parse(s: &str) -> Option<StepUpAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            StepUpAction::ChangePassword => "change_password",
            StepUpAction::ChangeContact => "change_contact",
            StepUpAction::AddFactor => "add_factor",
            StepUpAction::RemoveFactor => "remove_factor",
            StepUpAction::RevokeDevice => "revoke_device",
            StepUpAction::UnlockUser => "unlock_user",
            StepUpAction::AddStaff => "add_staff",
            StepUpAction::CreatePosKey => "create_pos_key",
            StepUpAction::ManageWebhooks => "manage_webhooks",
            StepUpAction::ChangePayoutAccount => "change_payout_account",
            StepUpAction::Refund => "refund",
            StepUpAction::ConfirmPayment => "confirm_payment",
            StepUpAction::LinkBankAccount => "link_bank_account",
            StepUpAction::VerifyIdentity => "verify_identity",
            StepUpAction::SendMoney => "send_money",
            StepUpAction::Withdraw => "withdraw",
            StepUpAction::RevealCard => "reveal_card",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub email: String,
    pub phone: String,
    pub password: String,
    pub legal_name: String,
    pub date_of_birth: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationStarted {
    /// Always `verification_sent`: the same whether or not the address already has an account.
    #[schema(value_type = String, pattern = "^verification_sent$")]
    pub status: &'static str,
    /// Give this with the two codes; a later registration of the same address cannot replace it.
    pub registration_id: String,
    pub expires_in_secs: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registered {
    #[serde(flatten)]
    pub session: SessionCreated,
    /// Ten single-use recovery codes, shown once: keep them away from the phone. With the
    /// password, one of them can lock the account when the phone is lost.
    #[schema(min_items = 10, max_items = 10)]
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionCreated {
    pub session_id: String,
    /// The bearer token. Shown once; only its hash is stored.
    pub token: String,
    /// Identifies this device at the next sign-in: a known device is not slowed by failures
    /// made elsewhere, and is not asked for extra proof.
    pub device_token: String,
    pub user_id: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LoginChallenge {
    pub challenge_id: String,
    /// Second factors the account can use for this challenge, strongest first (`email`: lock only).
    #[schema(value_type = Vec<Factor>)]
    pub factors: Vec<&'static str>,
    pub expires_in_secs: i64,
    /// Staff and operators without a factor yet: they get a session that can only enrol one
    /// (`POST /v1/sessions/challenges/{id}/enrolment`).
    pub enrolment_required: bool,
    /// Many failures came from this source or against this account: besides the factor, give
    /// the code sent to the account's e-mail (`POST /v1/sessions/challenges/{id}/email`).
    pub email_proof_required: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SteppedUp {
    /// The session's new bearer token; the previous one no longer works.
    pub token: String,
    pub session_id: String,
    /// The one action the grant is for.
    pub action: StepUpAction,
    /// The grant must be used before this time (UTC ms); it is consumed by its action.
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResetRequested {
    /// Always `sent_if_the_account_exists`.
    #[schema(value_type = String, pattern = "^sent_if_the_account_exists$")]
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret, for typing into an app that cannot scan.
    pub secret: String,
    /// `otpauth://` URL to show as a QR code.
    pub otpauth_url: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, each 80 bits. Shown once.
    #[schema(min_items = 10, max_items = 10)]
    pub recovery_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnlockPending {
    /// Always `unlock_pending`: the account stays locked until `unlock_at_ms`.
    #[schema(value_type = String, pattern = "^unlock_pending$")]
    pub status: &'static str,
    /// When the account unlocks unless the owner cancels (UTC ms).
    pub unlock_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub user_id: String,
    pub email: String,
    pub phone: String,
    pub legal_name: String,
    pub date_of_birth: String,
    pub locale: String,
    /// The factors the account can sign in with, strongest first.
    #[schema(value_type = Vec<Factor>)]
    pub factors: Vec<&'static str>,
    /// While a contact change cools off, money may not leave the wallet before this (UTC ms; 0: no block).
    pub money_out_blocked_until_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub session_id: String,
    pub device_id: String,
    pub created_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub ip: String,
    pub user_agent: String,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceInfo {
    pub device_id: String,
    pub name: String,
    pub first_seen_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub current: bool,
}
