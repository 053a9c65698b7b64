//! The decision point every money movement asks before it commits: allow, challenge (a second
//! factor bound to this payment), hold (funds reserved while someone looks) or deny. The fraud
//! and AML scoring of a later issue fills it; until then it enforces the configured limits and
//! the identity rules, so the call points and paths already exist and are tested.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", content = "reason", rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Challenge(&'static str),
    Hold(&'static str),
    Deny(&'static str),
}

impl Decision {
    pub fn name(&self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Challenge(_) => "challenge",
            Decision::Hold(_) => "hold",
            Decision::Deny(_) => "deny",
        }
    }
    pub fn reason(&self) -> &'static str {
        match self {
            Decision::Allow => "",
            Decision::Challenge(r) | Decision::Hold(r) | Decision::Deny(r) => r,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RiskConfig {
    /// The most one payment may be (PAYMENTS-DOMAIN: the type-2 cap of 1,000,000 JPY).
    pub per_payment_limit_minor: i64,
    /// Payments above this ask the customer for a second factor bound to the payment before the
    /// merchant is paid (a stolen code or phone alone cannot spend much).
    pub confirm_above_minor: i64,
    /// How long a challenged payment waits for its customer before it is voided.
    pub confirmation_ttl_secs: i64,
    /// How long a held payment waits for an analyst before it is voided.
    pub hold_ttl_secs: i64,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            per_payment_limit_minor: 1_000_000,
            confirm_above_minor: 50_000,
            confirmation_ttl_secs: 300,
            hold_ttl_secs: 72 * 3600,
        }
    }
}

/// What the decision point knows of a payment.
#[derive(Debug, Clone)]
pub struct PaymentFacts {
    pub amount_minor: i64,
    /// What the wallet can spend now (all three parts together).
    pub available_minor: i64,
    /// Until when money may not leave after a contact change or reset (0: none).
    pub money_out_blocked_until_ms: i64,
    pub now_ms: i64,
}

/// The rules until scoring exists: over the limit or over what the wallet holds is a denial;
/// spending while a contact change or password reset cools off (the moment a takeover would
/// spend) is held for an analyst rather than paid at once.
pub fn decide_payment(config: &RiskConfig, facts: &PaymentFacts) -> Decision {
    if facts.amount_minor > config.per_payment_limit_minor {
        return Decision::Deny("over_payment_limit");
    }
    if facts.amount_minor > facts.available_minor {
        return Decision::Deny("insufficient_funds");
    }
    if facts.money_out_blocked_until_ms > facts.now_ms {
        return Decision::Hold("cooling_off");
    }
    if facts.amount_minor > config.confirm_above_minor {
        return Decision::Challenge("large_amount");
    }
    Decision::Allow
}

/// What the decision point knows of a top-up from a linked bank account.
#[derive(Debug, Clone)]
pub struct TopUpFacts {
    pub amount_minor: i64,
    /// The most one top-up may be (`FundingConfig::per_top_up_limit_minor`).
    pub per_top_up_limit_minor: i64,
    /// The most the money balance may hold (`FundingConfig::holding_cap_minor`).
    pub holding_cap_minor: i64,
    /// The money balance now plus every top-up still waiting for the bank.
    pub money_and_pending_minor: i64,
    /// Until when money may not leave after a contact change or reset (0: none).
    pub money_out_blocked_until_ms: i64,
    pub now_ms: i64,
}

/// The rules for money coming in from a bank until scoring exists. Over the per-top-up limit or
/// past the holding cap (counting what is already on its way) is a denial. A top-up while a
/// contact change or password reset cools off is denied too: it is the moment a takeover would
/// pull the victim's bank money into a wallet it can spend from, and nothing is lost by waiting.
/// The daily limit and the cap at credit time are enforced atomically where the rows change
/// (funding's store and the ledger effect); this check only refuses early and clearly.
pub fn decide_top_up(facts: &TopUpFacts) -> Decision {
    if facts.amount_minor > facts.per_top_up_limit_minor {
        return Decision::Deny("over_top_up_limit");
    }
    if facts.money_and_pending_minor.saturating_add(facts.amount_minor) > facts.holding_cap_minor {
        return Decision::Deny("over_holding_cap");
    }
    if facts.money_out_blocked_until_ms > facts.now_ms {
        return Decision::Deny("cooling_off");
    }
    Decision::Allow
}

/// What a card top-up's decision point sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTopUpFacts {
    pub amount_minor: i64,
    pub per_top_up_limit_minor: i64,
    /// Card top-ups this account asked for in the last minute, this one included.
    pub top_ups_last_minute: i64,
    /// How many in a minute are the pattern 7pay's victims saw (`CardsConfig::top_ups_per_minute_signal`).
    pub top_ups_per_minute_signal: i64,
    pub money_out_blocked_until_ms: i64,
    pub now_ms: i64,
}

/// Card top-ups until scoring exists: over the limit is a denial; a burst of top-ups from one
/// account (three within a minute) or one during a contact-change or reset cooling-off asks the
/// issuer to challenge the cardholder (3-D Secure `challenge mandated`), so whoever holds the
/// session must also hold the card's phone. The risk issue scores this point.
pub fn decide_card_top_up(facts: &CardTopUpFacts) -> Decision {
    if facts.amount_minor > facts.per_top_up_limit_minor {
        return Decision::Deny("over_top_up_limit");
    }
    if facts.top_ups_last_minute >= facts.top_ups_per_minute_signal {
        return Decision::Challenge("top_up_velocity");
    }
    if facts.money_out_blocked_until_ms > facts.now_ms {
        return Decision::Challenge("cooling_off");
    }
    Decision::Allow
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(amount_minor: i64, available_minor: i64, blocked_until: i64) -> PaymentFacts {
        PaymentFacts { amount_minor, available_minor, money_out_blocked_until_ms: blocked_until, now_ms: 1_000 }
    }

    #[test]
    fn a_burst_of_card_top_ups_asks_the_issuer_to_challenge() {
        let facts = |amount_minor, recent| CardTopUpFacts {
            amount_minor,
            per_top_up_limit_minor: 50_000,
            top_ups_last_minute: recent,
            top_ups_per_minute_signal: 3,
            money_out_blocked_until_ms: 0,
            now_ms: 1_000,
        };
        assert_eq!(decide_card_top_up(&facts(1_000, 1)), Decision::Allow);
        assert_eq!(decide_card_top_up(&facts(1_000, 2)), Decision::Allow);
        assert_eq!(decide_card_top_up(&facts(1_000, 3)), Decision::Challenge("top_up_velocity"));
        assert_eq!(decide_card_top_up(&facts(50_001, 1)), Decision::Deny("over_top_up_limit"));
    }

    #[test]
    fn limits_deny_and_a_cooling_off_holds() {
        let c = RiskConfig::default();
        assert_eq!(decide_payment(&c, &facts(500, 1_000, 0)), Decision::Allow);
        assert_eq!(decide_payment(&c, &facts(1_000_001, 5_000_000, 0)), Decision::Deny("over_payment_limit"));
        assert_eq!(decide_payment(&c, &facts(1_001, 1_000, 0)), Decision::Deny("insufficient_funds"));
        assert_eq!(decide_payment(&c, &facts(500, 1_000, 2_000)), Decision::Hold("cooling_off"));
        assert_eq!(decide_payment(&c, &facts(500, 1_000, 999)), Decision::Allow, "a cooling-off that ended");
        assert_eq!(decide_payment(&c, &facts(50_000, 90_000, 0)), Decision::Allow, "at the threshold");
        assert_eq!(decide_payment(&c, &facts(50_001, 90_000, 0)), Decision::Challenge("large_amount"));
        assert_eq!(decide_payment(&c, &facts(50_001, 90_000, 2_000)), Decision::Hold("cooling_off"), "a hold outranks");
    }

    #[test]
    fn a_top_up_is_denied_over_its_limit_past_the_cap_or_while_cooling_off() {
        let facts = |amount_minor, held, blocked_until| TopUpFacts {
            amount_minor,
            per_top_up_limit_minor: 500_000,
            holding_cap_minor: 1_000_000,
            money_and_pending_minor: held,
            money_out_blocked_until_ms: blocked_until,
            now_ms: 1_000,
        };
        assert_eq!(decide_top_up(&facts(500_000, 500_000, 0)), Decision::Allow, "up to the cap exactly");
        assert_eq!(decide_top_up(&facts(500_001, 0, 0)), Decision::Deny("over_top_up_limit"));
        assert_eq!(decide_top_up(&facts(1, 1_000_000, 0)), Decision::Deny("over_holding_cap"));
        assert_eq!(decide_top_up(&facts(1, 0, 2_000)), Decision::Deny("cooling_off"));
    }
}
