//! Identity settings: time limits, throttles and cooling-off periods, with their defaults.

#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// Wallet sessions end after this long without use, and after `session_absolute_secs` in any case.
    pub session_idle_secs: i64,
    pub session_absolute_secs: i64,
    /// Merchant staff and operators: idle limit.
    pub staff_idle_secs: i64,
    /// A step-up grant lives this long; a sign-in this recent may add (never remove) a factor.
    pub fresh_factor_secs: i64,
    pub registration_ttl_secs: i64,
    pub login_challenge_ttl_secs: i64,
    /// Failed sign-ins from one address (and from one /24 or /48 network) within
    /// `source_window_secs` beyond which a correct password from an unknown device also needs a
    /// code sent to the account's e-mail: a signal that asks for more proof, never a refusal, so a
    /// crowd behind one carrier-grade NAT address can still sign in.
    pub address_failures_signal: i64,
    pub network_failures_signal: i64,
    pub source_window_secs: i64,
    /// Failures of one and the same password from one address (password spraying): a hard limit
    /// that slows the sprayer's source, not the accounts that happen to use the password.
    pub password_failures_per_source: i64,
    /// Failures against one account from unknown devices beyond which a correct password from an
    /// unknown device also needs the e-mail code (the owner's known devices are not affected).
    pub account_failures_signal: i64,
    /// Sign-ups from one address per hour beyond which they are flagged (a signal, not a refusal).
    pub signups_per_ip_signal_per_hour: i64,
    pub signups_per_email_per_hour: i64,
    pub signups_per_phone_per_day: i64,
    pub signups_per_device_per_day: i64,
    /// SMS codes per account per hour for sign-in, step-up and reset together.
    pub sms_per_account_per_hour: i64,
    /// The lock has its own budgets, which sign-in and reset cannot use up.
    pub lock_sms_per_account_per_hour: i64,
    pub lock_emails_per_account_per_hour: i64,
    pub reset_ttl_secs: i64,
    pub resets_per_email_per_hour: i64,
    /// The site's public origin, which passkeys are bound to.
    pub public_url: String,
    /// After an e-mail or phone change, money may not leave the wallet for this long.
    pub contact_change_cooling_off_secs: i64,
    /// An unlock takes effect only after this long; the owner is told on every contact and can cancel.
    pub unlock_cooling_off_secs: i64,
    /// "Someone knows your password" alerts go to an owner at most this often.
    pub password_alert_interval_secs: i64,
    /// Base URL of a k-anonymity breached-password range API (`{url}/range/{5 hex}`); off when None.
    pub breach_check_url: Option<String>,
    /// A check the eKYC provider has not decided after this long goes to an operator's review.
    pub ekyc_decision_timeout_ms: i64,
    /// How often the worker asks the provider about pending checks.
    pub ekyc_poll_interval_ms: u64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 3600,
            staff_idle_secs: 15 * 60,
            fresh_factor_secs: 5 * 60,
            registration_ttl_secs: 30 * 60,
            login_challenge_ttl_secs: 10 * 60,
            address_failures_signal: 30,
            network_failures_signal: 100,
            source_window_secs: 15 * 60,
            password_failures_per_source: 10,
            account_failures_signal: 10,
            signups_per_ip_signal_per_hour: 20,
            signups_per_email_per_hour: 5,
            signups_per_phone_per_day: 5,
            signups_per_device_per_day: 5,
            sms_per_account_per_hour: 5,
            lock_sms_per_account_per_hour: 5,
            lock_emails_per_account_per_hour: 5,
            reset_ttl_secs: 30 * 60,
            resets_per_email_per_hour: 10,
            public_url: "http://localhost:8080".into(),
            contact_change_cooling_off_secs: 72 * 3600,
            unlock_cooling_off_secs: 24 * 3600,
            password_alert_interval_secs: 24 * 3600,
            breach_check_url: None,
            ekyc_decision_timeout_ms: super::kyc::DEFAULT_DECISION_TIMEOUT_MS,
            ekyc_poll_interval_ms: super::kyc::DEFAULT_POLL_INTERVAL_MS,
        }
    }
}
