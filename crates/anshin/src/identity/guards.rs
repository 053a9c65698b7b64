//! Guards against guessing, keyed so that they slow the source and not the owner:
//!
//! - hard guards, counted before a guess is judged (one atomic statement each) and refusing
//!   while in a delay: one address against one account (`pair:`), one known device (`device:`),
//!   one password from one address (`pw:`, spraying), and for staff the account itself (`acct:`,
//!   PCI DSS 8.3.4: 10 tries, then 30 minutes, for unknown devices only);
//! - signals, which never refuse but ask an unknown device for more proof (a code sent to the
//!   account's e-mail): failures from one address, from its /24 (or /48), and against a wallet
//!   account from unknown devices. A crowd behind one carrier-grade NAT address keeps signing up
//!   and in; the attacker among them is slowed per account and per password.

use super::model::{AccountKind, Client};
use super::store::guards::{self, Counted, Schedule};
use super::{Identity, IdentityError, codes, password};
use crate::storage::now_ms;

/// Wallet users: 5 failures free, then 30 s doubling up to an hour.
pub(crate) const WALLET: Schedule = Schedule { free: 5, first_delay_ms: 30_000, max_delay_ms: 3_600_000 };
/// Staff and operators: 10 failures, then 30 minutes (PCI DSS 8.3.4).
pub(crate) const STAFF: Schedule = Schedule { free: 10, first_delay_ms: 1_800_000, max_delay_ms: 1_800_000 };
/// Counts without ever delaying (the account-wide signal of wallet users).
pub(crate) const COUNT_ONLY: Schedule = Schedule { free: i64::MAX, first_delay_ms: 0, max_delay_ms: 0 };
/// NIST SP 800-63B: at most 100 consecutive failures; after that an unknown device needs a
/// password reset (through the verified e-mail and a second factor) to sign in.
pub(crate) const MAX_CONSECUTIVE_FAILURES: i64 = 100;

/// Attempts counted on hard guards, to give back if the guess turns out right.
#[derive(Default)]
pub(crate) struct Admitted(Vec<(String, Counted)>);

pub(crate) fn schedule_for(kind: AccountKind) -> Schedule {
    if kind == AccountKind::Wallet { WALLET } else { STAFF }
}

pub(crate) fn account_key(user_id: &str) -> String {
    format!("acct:{user_id}")
}

pub(crate) fn device_key(device_id: &str) -> String {
    format!("device:{device_id}")
}

/// The /24 (IPv4) or /48 (IPv6) network of an address: one attacker rarely has just one address.
pub(crate) fn network_of(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

impl Identity {
    /// A keyed digest, so guard keys never hold an e-mail address or a password in any form an
    /// attacker with the table could use.
    fn digest(&self, purpose: &str, value: &str) -> String {
        codes::code_hash(&self.keys.code_hmac, purpose, value)[..32].to_owned()
    }

    /// One address against one account, named by the e-mail as typed (so unknown addresses are
    /// guarded exactly like real ones).
    pub(crate) fn pair_key(&self, ip: &str, email: &str) -> String {
        format!("pair:{ip}:{}", self.digest("guard-email", &email.trim().to_lowercase()))
    }

    pub(crate) fn password_key(&self, ip: &str, password: &str) -> String {
        format!("pw:{ip}:{}", self.digest("password-spray", &password::normalize(password)))
    }

    pub(crate) fn spray_schedule(&self) -> Schedule {
        Schedule {
            free: self.config.password_failures_per_source,
            first_delay_ms: 15 * 60_000,
            max_delay_ms: 3_600_000,
        }
    }

    /// Count this attempt on every hard guard before it is judged. If one is in a delay, the
    /// attempt is refused unjudged (the others are given back) with the time left.
    pub(crate) async fn admit(&self, guards: &[(String, Schedule)]) -> Result<Admitted, IdentityError> {
        let now = now_ms();
        let mut admitted = Admitted::default();
        for (key, schedule) in guards {
            match guards::count(&self.db, key, schedule, now).await? {
                Some(counted) => admitted.0.push((key.clone(), counted)),
                None => {
                    self.give_back(admitted).await?;
                    let (blocked_until_ms, _) = guards::state(&self.db, key).await?;
                    let retry_after_secs = ((blocked_until_ms - now) / 1000).max(1);
                    return Err(IdentityError::Throttled { retry_after_secs });
                }
            }
        }
        Ok(admitted)
    }

    /// The guess was right: it was not a failure after all.
    pub(crate) async fn give_back(&self, admitted: Admitted) -> Result<(), IdentityError> {
        for (key, counted) in admitted.0 {
            guards::give_back(&self.db, &key, counted).await?;
        }
        Ok(())
    }

    /// Count a failure on a guard after the fact (a wrong factor feeds the same delays as a wrong
    /// password); a guard already in a delay is not extended by it.
    pub(crate) async fn count_failure(&self, key: &str, schedule: &Schedule) -> Result<(), IdentityError> {
        if !key.is_empty() {
            guards::count(&self.db, key, schedule, now_ms()).await?;
        }
        Ok(())
    }

    /// Refuse at once while a guard is in a delay (a factor step on a challenge whose source is
    /// being slowed).
    pub(crate) async fn check_guard(&self, key: &str) -> Result<(), IdentityError> {
        let (blocked_until_ms, _) = guards::state(&self.db, key).await?;
        let now = now_ms();
        if blocked_until_ms > now {
            return Err(IdentityError::Throttled { retry_after_secs: ((blocked_until_ms - now) / 1000).max(1) });
        }
        Ok(())
    }

    pub(crate) async fn account_failures(&self, user_id: &str) -> Result<i64, IdentityError> {
        Ok(guards::state(&self.db, &account_key(user_id)).await?.1)
    }

    /// A failure from this address: feeds the signals (address and network), never a refusal.
    pub(crate) async fn count_source_failure(&self, client: &Client) -> Result<(), IdentityError> {
        let now = now_ms();
        for key in self.source_keys(client) {
            guards::hit(&self.db, &key.0, self.config.source_window_secs, now).await?;
        }
        Ok(())
    }

    /// Whether many failures came from this address or its network lately.
    pub(crate) async fn source_is_busy(&self, client: &Client) -> Result<bool, IdentityError> {
        let now = now_ms();
        for (key, signal) in self.source_keys(client) {
            if guards::peek(&self.db, &key, self.config.source_window_secs, now).await? >= signal {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn source_keys(&self, client: &Client) -> Vec<(String, i64)> {
        let mut keys = vec![(format!("fail:ip:{}", client.ip), self.config.address_failures_signal)];
        if let Some(net) = network_of(&client.ip) {
            keys.push((format!("fail:net:{net}"), self.config.network_failures_signal));
        }
        keys
    }

    /// A fixed-window limit keyed on what it protects (an e-mail address, a phone, an account).
    pub(crate) async fn throttle(&self, key: &str, window_secs: i64, limit: i64) -> Result<(), IdentityError> {
        if guards::hit(&self.db, key, window_secs, now_ms()).await? > limit {
            return Err(IdentityError::Throttled { retry_after_secs: window_secs });
        }
        Ok(())
    }

    /// Forget the failures of a guard and the account (a completed sign-in or reset).
    pub(crate) async fn clear_guards(&self, keys: &[&str]) -> Result<(), IdentityError> {
        guards::clear(&self.db, keys).await?;
        Ok(())
    }
}
