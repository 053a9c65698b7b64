//! Card testing and BIN attacks (THREATS.md; SECURITY-CHECKLIST 34): a thief with a list of
//! numbers, or a generator walking a BIN range, uses a wallet's "add a card" as a free oracle.
//! Every card check counts as a failure before it is judged, in one atomic statement per scope
//! (account, device, address, network, BIN, the number itself, and all accounts together), and is
//! given back only when the network approves. So 64 concurrent tries get no more than 64
//! sequential ones, and a security code guessed three times on each of a hundred accounts (the
//! 2018 pattern) meets the per-number limit after three.
//!
//! A refusal here looks exactly like the network's decline: the caller learns nothing about which
//! limit, or which field, stopped it.

use crate::identity::Client;
use crate::identity::store::guards;
use crate::storage::{Db, now_ms};

/// Windows and limits for card checks; defaults from the attack tests with room for a
/// person who mistypes twice.
#[derive(Debug, Clone)]
pub struct CardTestingLimits {
    /// Card additions one account may try per day, right or wrong.
    pub attempts_per_user_per_day: i64,
    pub failures_per_user_per_day: i64,
    pub failures_per_device_per_day: i64,
    pub failures_per_address_per_hour: i64,
    /// Per /24 (IPv4) or /48 (IPv6).
    pub failures_per_network_per_hour: i64,
    /// Per BIN (first six digits), across every account: a generator walks one range.
    pub failures_per_bin_per_hour: i64,
    /// Per card number (its keyed fingerprint), across every account.
    pub failures_per_number_per_day: i64,
    /// The circuit breaker: failures across all accounts in `global_window_secs` past which every
    /// card check is refused until the window ends.
    pub global_failures_per_window: i64,
    pub global_window_secs: i64,
}

impl Default for CardTestingLimits {
    fn default() -> Self {
        CardTestingLimits {
            attempts_per_user_per_day: 10,
            failures_per_user_per_day: 3,
            failures_per_device_per_day: 3,
            failures_per_address_per_hour: 5,
            failures_per_network_per_hour: 10,
            failures_per_bin_per_hour: 10,
            failures_per_number_per_day: 3,
            global_failures_per_window: 200,
            global_window_secs: 300,
        }
    }
}

const DAY_SECS: i64 = 86_400;
const HOUR_SECS: i64 = 3_600;

/// The failure counters one card check was charged to, for giving them back on approval.
#[derive(Debug, Default)]
pub struct Charged {
    keys: Vec<String>,
}

impl CardTestingLimits {
    /// Before anything is parsed: the account's attempts, and whether its own failure scopes (or
    /// the breaker) are already spent. False means refuse.
    pub async fn admit(&self, db: &Db, user_id: &str, client: &Client) -> Result<bool, sqlx::Error> {
        let now = now_ms();
        if guards::hit(db, &format!("card:try:user:{user_id}"), DAY_SECS, now).await? > self.attempts_per_user_per_day {
            return Ok(false);
        }
        for (key, window, limit) in self.source_scopes(user_id, client) {
            if guards::peek(db, &key, window, now).await? >= limit {
                return Ok(false);
            }
        }
        Ok(guards::peek(db, "card:fail:all", self.global_window_secs, now).await? < self.global_failures_per_window)
    }

    /// Charge one failure to every scope, the BIN and the number included (`bin6`, `fingerprint`
    /// when the input got that far). False when any scope is past its limit: refuse without asking
    /// the network. Otherwise the check may go ahead; `give_back` if it is approved.
    pub async fn charge(
        &self,
        db: &Db,
        user_id: &str,
        client: &Client,
        bin6: Option<&str>,
        fingerprint: Option<&str>,
    ) -> Result<(bool, Charged), sqlx::Error> {
        let now = now_ms();
        let mut scopes = self.source_scopes(user_id, client);
        if let Some(bin6) = bin6 {
            scopes.push((format!("card:fail:bin:{bin6}"), HOUR_SECS, self.failures_per_bin_per_hour));
        }
        if let Some(fingerprint) = fingerprint {
            scopes.push((format!("card:fail:number:{fingerprint}"), DAY_SECS, self.failures_per_number_per_day));
        }
        scopes.push(("card:fail:all".into(), self.global_window_secs, self.global_failures_per_window));
        let mut charged = Charged::default();
        let mut within = true;
        for (key, window, limit) in scopes {
            // Every scope is charged even after one is past its limit, so a refused try still
            // counts everywhere it was aimed.
            if guards::hit(db, &key, window, now).await? > limit {
                within = false;
            }
            charged.keys.push(key);
        }
        Ok((within, charged))
    }

    /// The network approved: the provisional failures are taken back.
    pub async fn give_back(&self, db: &Db, charged: Charged) -> Result<(), sqlx::Error> {
        for key in &charged.keys {
            guards::unhit(db, key).await?;
        }
        Ok(())
    }

    fn source_scopes(&self, user_id: &str, client: &Client) -> Vec<(String, i64, i64)> {
        let mut scopes = vec![
            (format!("card:fail:user:{user_id}"), DAY_SECS, self.failures_per_user_per_day),
            (format!("card:fail:ip:{}", client.ip), HOUR_SECS, self.failures_per_address_per_hour),
        ];
        if let Some(net) = crate::identity::guards::network_of(&client.ip) {
            scopes.push((format!("card:fail:net:{net}"), HOUR_SECS, self.failures_per_network_per_hour));
        }
        if let Some(device) = client.device.as_deref().filter(|d| !d.is_empty()) {
            scopes.push((format!("card:fail:device:{device}"), DAY_SECS, self.failures_per_device_per_day));
        }
        scopes
    }
}
