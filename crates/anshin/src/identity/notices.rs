//! Every e-mail and SMS the identity flows send, in one place. Each notice says what happened and
//! what to do if it was not the owner; none asks for a password or links to a sign-in form.

use crate::notify::{Channel, OutboxMessage};

/// One notice, with what it needs to say.
#[derive(Debug, Clone)]
pub enum Notice {
    RegistrationCode {
        code: String,
        minutes: i64,
    },
    RegistrationSms {
        code: String,
    },
    /// Someone tried to register an address that already has an account (no code is sent).
    RegistrationTaken,
    SignInSms {
        code: String,
    },
    /// The extra proof a busy source is asked for at sign-in.
    SignInEmail {
        code: String,
    },
    LockSms {
        code: String,
    },
    LockEmail {
        code: String,
    },
    ResetKey {
        key: String,
        minutes: i64,
    },
    ResetSms {
        code: String,
    },
    NewDevice {
        ip: String,
    },
    /// A correct password, then no second factor from an unknown device.
    PasswordKnown,
    Locked,
    UnlockRequested {
        unlock_at_ms: i64,
        cancel_key: String,
    },
    UnlockCancelled,
    Unlocked,
    PasswordChanged,
    FactorAdded {
        factor: &'static str,
    },
    FactorRemoved {
        factor: &'static str,
    },
    DeviceRevoked,
    ContactCode {
        code: String,
        channel: String,
    },
    ContactChanging {
        channel: String,
    },
    ContactChanged {
        channel: String,
    },
}

const NOT_YOU: &str = "If this was not you: lock your account from the Anshin site now and contact support.";

impl Notice {
    /// The e-mail subject (empty for SMS-only notices) and the body.
    fn text(&self) -> (&'static str, String) {
        use Notice::*;
        match self {
            RegistrationCode { code, minutes } => (
                "Your Anshin verification code",
                format!(
                    "Your code to confirm this e-mail address is {code}. It is valid for {minutes} minutes.\n\
                     If you did not just register at Anshin, ignore this message: without the code nothing happens."
                ),
            ),
            RegistrationSms { code } => {
                ("", format!("Anshin: your code to confirm this phone is {code}. Do not share it with anyone."))
            }
            RegistrationTaken => (
                "Someone tried to register this address at Anshin",
                "Somebody tried to create a new Anshin account with this e-mail address, which already has an account.\n\
                 If it was you: sign in instead, or reset your password from the sign-in page.\n\
                 If it was not you: nothing has changed and you need not do anything. We never ask for your password by e-mail."
                    .into(),
            ),
            SignInSms { code } => (
                "",
                format!(
                    "Anshin code: {code}. If you did not just ask for it, someone knows your password: change it now."
                ),
            ),
            SignInEmail { code } => (
                "Your Anshin sign-in code",
                format!(
                    "Your code to finish signing in is {code}. We asked for it because many failed sign-ins came from \
                     the network you are using.\nIf you are not signing in right now, someone knows your password: \
                     change it now. {NOT_YOU}"
                ),
            ),
            LockSms { code } => ("", format!("Anshin code to LOCK your account: {code}. Do not share it.")),
            LockEmail { code } => (
                "Your code to lock your Anshin account",
                format!(
                    "Your code to lock your account is {code}. It only locks the account: it cannot sign anyone in.\n\
                     If you did not ask for it, someone knows your password: lock your account anyway, then contact support."
                ),
            ),
            ResetKey { key, minutes } => (
                "Reset your Anshin password",
                format!(
                    "Someone (we hope you) asked to reset the password of your Anshin account.\n\
                     Your reset key is:\n\n{key}\n\n\
                     It is valid for {minutes} minutes and also needs a code from your phone or authenticator app.\n\
                     If you did not ask for this, ignore this message: your password stays as it is."
                ),
            ),
            ResetSms { code } => (
                "",
                format!(
                    "Anshin password reset code: {code}. If you did not ask to reset your password, do not share it; contact support."
                ),
            ),
            NewDevice { ip } => (
                "New sign-in to your Anshin account",
                format!(
                    "Your account was just signed in to from a device we had not seen before (address {ip}).\n\
                     If this was you, nothing to do. {NOT_YOU}"
                ),
            ),
            PasswordKnown => (
                "Someone knows your Anshin password",
                format!(
                    "Someone gave the right password for your account from a device we do not know, but not the \
                     second factor, so they could not sign in.\nChange your password now (and anywhere else you use it). \
                     {NOT_YOU}"
                ),
            ),
            Locked => (
                "Your Anshin account is locked",
                "Your account was locked: every session was signed out, pending password resets and contact changes \
                 were cancelled, and no one can sign in or pay with it.\n\
                 To unlock it you need your password and two of your second factors; the unlock then waits 24 hours, \
                 during which we tell you and you can cancel it. Our support team can help too.\n\
                 If you did not lock it, someone has your password and a factor: contact support now."
                    .into(),
            ),
            UnlockRequested { unlock_at_ms, cancel_key } => (
                "Your Anshin account will be unlocked",
                format!(
                    "Someone asked to unlock your account. It stays locked until {} (UTC).\n\
                     If this was not you, cancel the unlock with this key on the Anshin site (Unlock → Cancel):\n\n{cancel_key}\n\n\
                     or lock the account again, which also cancels it. Then contact support.",
                    utc(*unlock_at_ms)
                ),
            ),
            UnlockCancelled => {
                ("The unlock of your Anshin account was cancelled", "The pending unlock was cancelled; the account stays locked.".into())
            }
            Unlocked => (
                "Your Anshin account was unlocked",
                format!("Your account is unlocked. You can sign in again. {NOT_YOU}"),
            ),
            PasswordChanged => (
                "Your Anshin password was changed",
                format!("The password of your Anshin account was just changed, and every session was signed out.\n{NOT_YOU}"),
            ),
            FactorAdded { factor } => (
                "A second factor was added to your Anshin account",
                format!("A second factor ({factor}) was just added to your account.\n{NOT_YOU}"),
            ),
            FactorRemoved { factor } => (
                "A second factor was removed from your Anshin account",
                format!("A second factor ({factor}) was removed, and every session was signed out.\n{NOT_YOU}"),
            ),
            DeviceRevoked => (
                "A device was removed from your Anshin account",
                format!("A device was removed from your account and its sessions were signed out.\n{NOT_YOU}"),
            ),
            ContactCode { code, channel } => (
                "Confirm your new contact for Anshin",
                format!("Anshin: your code to confirm this {channel} is {code}. If you did not ask for it, ignore this message."),
            ),
            ContactChanging { channel } => (
                "Your Anshin contact details are being changed",
                format!(
                    "Someone signed in to your account asked to change its {channel}. Money cannot leave the wallet \
                     for 72 hours after such a change.\n{NOT_YOU}"
                ),
            ),
            ContactChanged { channel } => (
                "Your Anshin contact details were changed",
                format!("The {channel} of your Anshin account was changed. For 72 hours money cannot leave the wallet.\n{NOT_YOU}"),
            ),
        }
    }

    /// The outbox message for `recipient` by `channel`. The locale is kept for the catalogs.
    pub fn to(&self, channel: Channel, recipient: &str, _locale: &str) -> OutboxMessage {
        let (subject, body) = self.text();
        let subject = if channel == Channel::Email { subject.to_owned() } else { String::new() };
        OutboxMessage { channel, recipient: recipient.to_owned(), subject, body }
    }
}

/// `2026-11-30 05:42` from UTC milliseconds.
fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = super::types::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60)
}
