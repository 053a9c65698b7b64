//! Every e-mail and SMS the identity flows send, in the account's language, from the message
//! catalogs (`i18n/*/messages.ftl`: `email-<name>-subject`, `email-<name>-body`, `sms-<name>`).
//! Each notice says what happened and what to do if it was not the owner; none asks for a
//! password or links to a sign-in form.

use crate::i18n::{self, Arg, Locale};
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
    /// `totp` or `passkey`.
    FactorAdded {
        factor: &'static str,
    },
    /// The authenticator app was removed (a passkey cannot be removed yet).
    TotpRemoved,
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
    /// To the old e-mail address, after the address was changed.
    OldAddressChanged,
}

impl Notice {
    /// The catalog name of this notice (`email-<name>-…`, `sms-<name>`).
    fn name(&self) -> &'static str {
        use Notice::*;
        match self {
            RegistrationCode { .. } | RegistrationSms { .. } => "registration-code",
            RegistrationTaken => "registration-taken",
            SignInSms { .. } | SignInEmail { .. } => "sign-in-code",
            LockSms { .. } | LockEmail { .. } => "lock-code",
            ResetKey { .. } => "reset",
            ResetSms { .. } => "reset-code",
            NewDevice { .. } => "new-device",
            PasswordKnown => "password-known",
            Locked => "locked",
            UnlockRequested { .. } => "unlock-requested",
            UnlockCancelled => "unlock-cancelled",
            Unlocked => "unlocked",
            PasswordChanged => "password-changed",
            FactorAdded { factor: "passkey" } => "passkey-added",
            FactorAdded { .. } => "totp-added",
            TotpRemoved => "totp-removed",
            DeviceRevoked => "device-revoked",
            ContactCode { .. } => "contact-code",
            ContactChanging { .. } => "contact-changing",
            ContactChanged { .. } => "contact-changed",
            OldAddressChanged => "old-address-changed",
        }
    }

    fn args(&self, locale: Locale) -> Vec<(&'static str, Arg<'_>)> {
        use Notice::*;
        match self {
            RegistrationCode { code, minutes } => vec![("code", code.into()), ("minutes", (*minutes).into())],
            RegistrationSms { code } | SignInSms { code } | SignInEmail { code } => vec![("code", code.into())],
            LockSms { code } | LockEmail { code } | ResetSms { code } => vec![("code", code.into())],
            ResetKey { key, minutes } => vec![("token", key.into()), ("minutes", (*minutes).into())],
            NewDevice { ip } => vec![("ip", ip.into())],
            UnlockRequested { unlock_at_ms, cancel_key } => {
                vec![("at", i18n::tokyo_date_time(*unlock_at_ms, locale).into()), ("key", cancel_key.into())]
            }
            ContactCode { code, channel } => vec![("code", code.into()), ("channel", channel.into())],
            ContactChanging { channel } | ContactChanged { channel } => vec![("channel", channel.into())],
            // The old address gets the contact-change body, about its e-mail address.
            OldAddressChanged => vec![("channel", "email".into())],
            _ => Vec::new(),
        }
    }

    /// The outbox message for `recipient` by `channel`, in `locale` (`ja` or `en`).
    pub fn to(&self, channel: Channel, recipient: &str, locale: &str) -> OutboxMessage {
        let locale = Locale::from_tag(locale).unwrap_or(i18n::PAGE_DEFAULT);
        let (name, args) = (self.name(), self.args(locale));
        let (subject, body) = if channel == Channel::Sms {
            (String::new(), i18n::message(locale, &format!("sms-{name}"), &args))
        } else {
            let body_name = if matches!(self, Notice::OldAddressChanged) { "contact-changed" } else { name };
            (
                i18n::message(locale, &format!("email-{name}-subject"), &args),
                i18n::message(locale, &format!("email-{body_name}-body"), &args),
            )
        };
        OutboxMessage { channel, recipient: recipient.to_owned(), subject, body }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every notice has its entries in both languages, for each channel it is sent by.
    #[test]
    fn every_notice_renders_in_both_languages() {
        let code = || "123456".to_owned();
        let by_email = [
            Notice::RegistrationCode { code: code(), minutes: 30 },
            Notice::RegistrationTaken,
            Notice::SignInEmail { code: code() },
            Notice::LockEmail { code: code() },
            Notice::ResetKey { key: "ab".repeat(32), minutes: 30 },
            Notice::NewDevice { ip: "192.0.2.1".into() },
            Notice::PasswordKnown,
            Notice::Locked,
            Notice::UnlockRequested { unlock_at_ms: 1_800_000_000_000, cancel_key: "cd".repeat(32) },
            Notice::UnlockCancelled,
            Notice::Unlocked,
            Notice::PasswordChanged,
            Notice::FactorAdded { factor: "totp" },
            Notice::FactorAdded { factor: "passkey" },
            Notice::TotpRemoved,
            Notice::DeviceRevoked,
            Notice::ContactCode { code: code(), channel: "email".into() },
            Notice::ContactChanging { channel: "phone".into() },
            Notice::ContactChanged { channel: "email".into() },
            Notice::OldAddressChanged,
        ];
        let by_sms = [
            Notice::RegistrationSms { code: code() },
            Notice::SignInSms { code: code() },
            Notice::LockSms { code: code() },
            Notice::ResetSms { code: code() },
            Notice::PasswordKnown,
            Notice::Locked,
            Notice::UnlockRequested { unlock_at_ms: 1_800_000_000_000, cancel_key: "cd".repeat(32) },
            Notice::UnlockCancelled,
            Notice::Unlocked,
            Notice::PasswordChanged,
            Notice::ContactCode { code: code(), channel: "phone".into() },
            Notice::ContactChanged { channel: "phone".into() },
        ];
        for locale in ["ja", "en"] {
            for n in &by_email {
                let m = n.to(Channel::Email, "a@example.jp", locale);
                assert!(!m.subject.is_empty() && !m.subject.starts_with("email-"), "{n:?} {locale}: {m:?}");
                assert!(!m.body.starts_with("email-") && !m.body.contains('{'), "{n:?} {locale}: {m:?}");
            }
            for n in &by_sms {
                let m = n.to(Channel::Sms, "+819000000000", locale);
                assert!(!m.body.starts_with("sms-") && !m.body.contains('{'), "{n:?} {locale}: {m:?}");
            }
        }
        let key = Notice::UnlockRequested { unlock_at_ms: 1_800_000_000_000, cancel_key: "cd".repeat(32) };
        assert!(key.to(Channel::Email, "a@example.jp", "ja").body.lines().any(|l| l == "cd".repeat(32)));
        assert!(!key.to(Channel::Sms, "+819000000000", "ja").body.contains(&"cd".repeat(32)), "no key by SMS");
        let ja = Notice::Locked.to(Channel::Email, "a@example.jp", "ja");
        assert!(ja.subject.contains("ロック"), "{ja:?}");
    }
}
