//! Virtual card types, the holder's controls and the pure rule that judges an authorisation.

use serde::{Deserialize, Serialize};

/// Years a new card is valid for (to the end of the month it was issued in).
pub const CARD_YEARS: u8 = 3;
/// Numbers are random (9 free digits under a 6-digit BIN): a collision is rare, and a few
/// tries past it mean something else is wrong.
pub const ISSUE_ATTEMPTS: u32 = 5;
/// A new card's cap per purchase: a wallet's lite balance is small, and a leaked number should
/// not empty the money balance in one go. The holder may raise it up to the maximum.
pub const DEFAULT_PER_TRANSACTION_LIMIT_MINOR: i64 = 50_000;
pub const MAX_PER_TRANSACTION_LIMIT_MINOR: i64 = 1_000_000;
/// Authorisations a list shows, newest first.
pub const MAX_LISTED_AUTHORIZATIONS: i64 = 50;
/// Approved holds the expiry sweep voids in one round.
pub const EXPIRY_SWEEP_BATCH: i64 = 100;
/// The ledger keeps a hold this much longer than the issuer's own expiry, so the issuer's sweep
/// (which marks the authorisation too) voids it first; the ledger's expiry is the backstop.
pub const LEDGER_HOLD_GRACE_SECS: i64 = 24 * 3600;

/// How Anshin issues virtual cards.
#[derive(Debug, Clone)]
pub struct VirtualCardsConfig {
    /// The BIN Anshin issues under (6 to 8 digits of an accepted brand); the network routes
    /// authorisations for numbers under it to Anshin.
    pub issuer_bin: String,
    /// An approved authorisation not cleared within this long is voided and the balance returns.
    pub hold_ttl_secs: i64,
    /// How long the wallet page shows a revealed number before masking it again.
    pub reveal_shown_secs: u64,
}

/// A JCB range the card-network simulator knows as "Anshin issuer" (docs/CARD-NETWORK.md).
pub const DEFAULT_ISSUER_BIN: &str = "356400";
pub const DEFAULT_HOLD_DAYS: i64 = 7;
/// The ledger's own limit on a hold (less the grace above).
pub const MAX_HOLD_DAYS: i64 = 29;
pub const REVEAL_SHOWN_SECS: u64 = 60;

impl Default for VirtualCardsConfig {
    fn default() -> Self {
        VirtualCardsConfig {
            issuer_bin: DEFAULT_ISSUER_BIN.into(),
            hold_ttl_secs: DEFAULT_HOLD_DAYS * 24 * 3600,
            reveal_shown_secs: REVEAL_SHOWN_SECS,
        }
    }
}

/// Merchant categories a holder may block, each a set of ISO 18245 merchant category codes
/// named the way a person thinks of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Betting, casinos, lotteries (7800–7802, 7995).
    Gambling,
    /// Money orders, wire transfers, crypto and other cash-like purchases (4829, 6010–6012, 6050–6051, 6540).
    QuasiCash,
    /// Digital goods: games, apps, media (5815–5818).
    DigitalGoods,
    /// Airlines, hotels, travel agencies (3000–3999, 4511, 4722, 7011).
    Travel,
    /// Adult content and dating services (5967, 7273).
    Adult,
}

impl Category {
    pub const ALL: [Category; 5] =
        [Category::Gambling, Category::QuasiCash, Category::DigitalGoods, Category::Travel, Category::Adult];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Gambling => "gambling",
            Category::QuasiCash => "quasi_cash",
            Category::DigitalGoods => "digital_goods",
            Category::Travel => "travel",
            Category::Adult => "adult",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether merchant category code `mcc` (four digits) falls in this category.
    pub fn contains(self, mcc: &str) -> bool {
        let Ok(code) = mcc.parse::<u16>() else { return false };
        match self {
            Category::Gambling => matches!(code, 7800..=7802 | 7995),
            Category::QuasiCash => matches!(code, 4829 | 6010..=6012 | 6050 | 6051 | 6540),
            Category::DigitalGoods => matches!(code, 5815..=5818),
            Category::Travel => matches!(code, 3000..=3999 | 4511 | 4722 | 7011),
            Category::Adult => matches!(code, 5967 | 7273),
        }
    }
}

/// A virtual card as the wallet and the API show it: brand, last four, expiry, status and
/// limits. Never the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VirtualCard {
    pub id: String,
    #[serde(skip)]
    pub user_id: String,
    #[serde(skip)]
    pub token: String,
    #[serde(skip)]
    pub fingerprint: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    /// `active`, `frozen` (declines everything until unfrozen) or `replaced` (dead).
    pub status: String,
    /// The most one purchase may be, in yen.
    pub per_transaction_limit_minor: i64,
    /// Merchant categories this card declines.
    pub blocked_categories: Vec<Category>,
    pub created_at_ms: i64,
}

/// One authorisation the network sent for the wallet's virtual card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VirtualCardAuthorization {
    pub id: String,
    #[serde(skip)]
    pub network_ref: String,
    pub card_id: String,
    #[serde(skip)]
    pub user_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub merchant_name: String,
    pub mcc: String,
    /// `approved` (held), `declined`, `settled`, `reversed` or `expired` (the hold was released).
    pub status: String,
    /// Why it was declined, for the holder: `insufficient_funds`, `over_transaction_limit`,
    /// `blocked_category`, `frozen`, `expired_card`, `invalid_card`, `currency`.
    pub decline_reason: String,
    #[serde(skip)]
    pub hold_id: String,
    /// The balance it spends: `lite` or `money`.
    pub balance: String,
    #[serde(skip)]
    pub auth_code: String,
    pub settled_minor: i64,
    #[serde(skip)]
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// The holder's limits.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VirtualCardLimits {
    /// The most one purchase may be, in yen.
    #[schema(minimum = 1, maximum = 1000000)]
    pub per_transaction_limit_minor: i64,
    /// Merchant categories to decline.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub blocked_categories: Vec<Category>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreezeRequest {
    /// `true` to freeze (every authorisation declined), `false` to use the card again.
    pub frozen: bool,
}

/// An empty body: what the request does is in its path.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoFields {}

/// The card's number, for its holder's screen right after a fresh second factor. Never stored,
/// logged or replayed (the response is `Cache-Control: no-store` and kept out of idempotency).
#[derive(Serialize, utoipa::ToSchema)]
pub struct RevealedCard {
    pub number: String,
    pub exp_month: i64,
    pub exp_year: i64,
    /// Hide the number again after this many seconds.
    pub shown_for_secs: u64,
}

/// Why an authorisation is declined, and the ISO 8583 response code the network gets. Several
/// reasons share a code, so a number tried with the wrong expiry learns nothing the absence of a
/// card would not tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decline {
    /// No card has this number, the expiry is not the card's, or the card was replaced.
    InvalidCard,
    ExpiredCard,
    Frozen,
    Currency,
    BlockedCategory,
    OverTransactionLimit,
    InsufficientFunds,
    /// A contact change or password reset is cooling off: no money leaves the wallet meanwhile
    /// (a takeover's moment to spend), as for transfers and withdrawals.
    CoolingOff,
}

impl Decline {
    pub fn reason(self) -> &'static str {
        match self {
            Decline::InvalidCard => "invalid_card",
            Decline::ExpiredCard => "expired_card",
            Decline::Frozen => "frozen",
            Decline::Currency => "currency",
            Decline::BlockedCategory => "blocked_category",
            Decline::OverTransactionLimit => "over_transaction_limit",
            Decline::InsufficientFunds => "insufficient_funds",
            Decline::CoolingOff => "cooling_off",
        }
    }

    /// 14 invalid card number, 54 expired card, 62 restricted card, 05 do not honour, 57 not
    /// permitted to the cardholder, 61 exceeds amount limit, 51 not sufficient funds.
    pub fn response_code(self) -> &'static str {
        match self {
            Decline::InvalidCard => "14",
            Decline::ExpiredCard => "54",
            Decline::Frozen => "62",
            Decline::Currency => "05",
            Decline::BlockedCategory => "57",
            Decline::OverTransactionLimit => "61",
            Decline::InsufficientFunds => "51",
            Decline::CoolingOff => "05",
        }
    }

    pub fn from_reason(reason: &str) -> Decline {
        match reason {
            "expired_card" => Decline::ExpiredCard,
            "frozen" => Decline::Frozen,
            "currency" => Decline::Currency,
            "blocked_category" => Decline::BlockedCategory,
            "over_transaction_limit" => Decline::OverTransactionLimit,
            "insufficient_funds" => Decline::InsufficientFunds,
            "cooling_off" => Decline::CoolingOff,
            _ => Decline::InvalidCard,
        }
    }
}

/// What an authorisation asks, as the rule needs it.
pub struct Asked<'a> {
    pub exp_month: i64,
    pub exp_year: i64,
    pub amount_minor: i64,
    pub currency: &'a str,
    pub mcc: &'a str,
    /// Today in Japan, as (year, month).
    pub today: (i64, i64),
}

/// The card's controls, in the order a declined purchase is explained: the card itself, then
/// what the holder set. Balance is judged after, against the ledger.
pub fn judge(card: &VirtualCard, asked: &Asked<'_>) -> Result<(), Decline> {
    if card.exp_month != asked.exp_month || card.exp_year != asked.exp_year || card.status == "replaced" {
        return Err(Decline::InvalidCard);
    }
    if (card.exp_year, card.exp_month) < asked.today {
        return Err(Decline::ExpiredCard);
    }
    if card.status != "active" {
        return Err(Decline::Frozen);
    }
    if asked.currency != "JPY" {
        return Err(Decline::Currency);
    }
    if card.blocked_categories.iter().any(|c| c.contains(asked.mcc)) {
        return Err(Decline::BlockedCategory);
    }
    if asked.amount_minor > card.per_transaction_limit_minor {
        return Err(Decline::OverTransactionLimit);
    }
    Ok(())
}

/// Which balance an approved purchase holds: the lite balance when it covers the whole amount,
/// else the money balance when that does. A purchase is never split across the two: a ledger
/// hold reserves one account, and two holds could not be taken or released together.
pub fn pick_balance(amount_minor: i64, lite_available: i64, money_available: i64) -> Option<&'static str> {
    if lite_available >= amount_minor {
        Some("lite")
    } else if money_available >= amount_minor {
        Some("money")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(status: &str) -> VirtualCard {
        VirtualCard {
            id: "vc_1".into(),
            user_id: "usr_1".into(),
            token: "card_x".into(),
            fingerprint: "f".into(),
            brand: "jcb".into(),
            last4: "1234".into(),
            exp_month: 11,
            exp_year: 2029,
            status: status.into(),
            per_transaction_limit_minor: 10_000,
            blocked_categories: vec![Category::Gambling],
            created_at_ms: 0,
        }
    }

    fn asked(amount_minor: i64, mcc: &str) -> Asked<'_> {
        Asked { exp_month: 11, exp_year: 2029, amount_minor, currency: "JPY", mcc, today: (2026, 11) }
    }

    #[test]
    fn each_control_declines_with_its_reason() {
        assert_eq!(judge(&card("active"), &asked(10_000, "5812")), Ok(()));
        assert_eq!(judge(&card("active"), &asked(10_001, "5812")), Err(Decline::OverTransactionLimit));
        assert_eq!(judge(&card("active"), &asked(500, "7995")), Err(Decline::BlockedCategory));
        assert_eq!(judge(&card("frozen"), &asked(500, "5812")), Err(Decline::Frozen));
        assert_eq!(judge(&card("replaced"), &asked(500, "5812")), Err(Decline::InvalidCard));
        let wrong_expiry = Asked { exp_month: 12, ..asked(500, "5812") };
        assert_eq!(judge(&card("active"), &wrong_expiry), Err(Decline::InvalidCard));
        let later = Asked { today: (2029, 12), ..asked(500, "5812") };
        assert_eq!(judge(&card("active"), &later), Err(Decline::ExpiredCard));
        let usd = Asked { currency: "USD", ..asked(500, "5812") };
        assert_eq!(judge(&card("active"), &usd), Err(Decline::Currency));
    }

    #[test]
    fn a_purchase_holds_one_balance_lite_first() {
        assert_eq!(pick_balance(500, 500, 0), Some("lite"));
        assert_eq!(pick_balance(500, 499, 500), Some("money"));
        assert_eq!(pick_balance(500, 300, 300), None);
    }

    #[test]
    fn categories_cover_their_codes_only() {
        assert!(Category::Gambling.contains("7995") && !Category::Gambling.contains("5812"));
        assert!(Category::Travel.contains("3001") && Category::Travel.contains("7011"));
        assert!(Category::QuasiCash.contains("6051") && !Category::QuasiCash.contains("x"));
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }
}
