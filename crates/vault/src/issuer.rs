//! The issuer side: Anshin's own numberless virtual prepaid cards.
//!
//! A virtual card's number is generated here and sealed like any other; nothing prints it. The
//! network simulator sends authorisations for it with the full number in the body; the vault
//! reads the message and hands the service everything but the digits, so the service finds the
//! card by fingerprint. The holder may see the number after a fresh second factor, and only a
//! virtual card's: a card the customer typed is never shown in full again.

use rand::Rng;
use serde::Deserialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::card::{Brand, CardNumber, Expiry};
use crate::seal::CardKind;
use crate::{
    MAX_ISSUER_MESSAGE_BYTES, MAX_MERCHANT_NAME_CHARS, SealedCard, VIRTUAL_CARD_DIGITS, Vault, VaultError, luhn,
};

/// An authorisation request for one of Anshin's virtual cards, without the card's digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerAuthorization {
    /// The card's fingerprint: look the sealed card up by it.
    pub fingerprint: String,
    pub last4: String,
    pub expiry: Expiry,
    pub amount_minor: u64,
    pub currency: String,
    pub merchant_name: String,
    pub mcc: String,
    pub network_ref: Uuid,
    /// Whether the merchant sent a security code. Its digits are dropped unread: virtual cards
    /// are checked by number, expiry, freeze and limits.
    pub security_code_presented: bool,
}

/// A virtual card's number, for its holder's screen only. `Debug` masks it like a `CardNumber`.
pub struct RevealedNumber {
    number: CardNumber,
}

impl RevealedNumber {
    /// The digits, to render on the holder's own screen in the response that follows a fresh
    /// second factor, checked by the caller. Only that page handler may call this: never log
    /// the result, store it, put it in a URL, an error, a notification or an audit record.
    pub fn expose_digits_for_display(&self) -> String {
        self.number.digits().to_owned()
    }
}

impl std::fmt::Debug for RevealedNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RevealedNumber({:?})", self.number)
    }
}

#[derive(Deserialize)]
struct IssuerMessage {
    pan: Zeroizing<String>,
    expiry: String,
    #[serde(default)]
    cvc: Option<Zeroizing<String>>,
    amount_minor: u64,
    currency: String,
    merchant_name: String,
    mcc: String,
    network_ref: Uuid,
}

impl Vault {
    /// Issue a virtual card: a random 16-digit, Luhn-valid number under `bin` (6 to 8 digits,
    /// from configuration, of an accepted brand), sealed. Numbers are random, so two cards can
    /// collide: the caller retries when the fingerprint is already taken.
    pub fn issue_virtual(&self, bin: &str, expiry: Expiry) -> Result<SealedCard, VaultError> {
        let bin_ok = (6..=8).contains(&bin.len()) && bin.bytes().all(|b| b.is_ascii_digit());
        if !bin_ok || Brand::from_bin(bin).is_none() {
            return Err(VaultError::IssuerBin);
        }
        let mut digits = Zeroizing::new(String::with_capacity(VIRTUAL_CARD_DIGITS));
        digits.push_str(bin);
        let mut rng = rand::rng();
        while digits.len() < VIRTUAL_CARD_DIGITS - 1 {
            digits.push(char::from(b'0' + rng.random_range(0..10u8)));
        }
        let check = luhn::check_digit(&digits).expect("only digits");
        digits.push(char::from(b'0' + check));
        let number = CardNumber::from_digits(digits).expect("a Luhn-valid number under an accepted BIN");
        Ok(self.seal_as(&number, expiry, CardKind::Virtual))
    }

    /// Read an authorisation the card network sends to Anshin as issuer:
    /// `{"pan","expiry":"YYMM","cvc"?,"amount_minor","currency","merchant_name","mcc","network_ref"}`.
    /// The digits stay here; no error repeats any part of the body.
    pub fn read_issuer_authorization(&self, body: &[u8]) -> Result<IssuerAuthorization, VaultError> {
        if body.len() > MAX_ISSUER_MESSAGE_BYTES {
            return Err(VaultError::IssuerMessage("larger than any authorisation"));
        }
        // serde's own messages quote the offending value (possibly the number): never shown.
        let message: IssuerMessage =
            serde_json::from_slice(body).map_err(|_| VaultError::IssuerMessage("not the authorisation JSON"))?;
        let number = CardNumber::parse(&message.pan)?;
        let expiry = Expiry::from_yymm(&message.expiry)?;
        if message.amount_minor == 0 {
            return Err(VaultError::IssuerMessage("the amount is zero"));
        }
        if message.currency.len() != 3 || !message.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(VaultError::IssuerMessage("the currency is not three capital letters"));
        }
        if message.mcc.len() != 4 || !message.mcc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VaultError::IssuerMessage("the merchant category code is not four digits"));
        }
        let name = message.merchant_name.trim();
        if name.is_empty() || name.chars().count() > MAX_MERCHANT_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(VaultError::IssuerMessage("the merchant name is empty, too long or has control characters"));
        }
        Ok(IssuerAuthorization {
            fingerprint: self.fingerprint(&number),
            last4: number.last4().to_owned(),
            expiry,
            amount_minor: message.amount_minor,
            currency: message.currency.clone(),
            merchant_name: name.to_owned(),
            mcc: message.mcc.clone(),
            network_ref: message.network_ref,
            security_code_presented: message.cvc.is_some(),
        })
    }

    /// A virtual card's number for its holder. The caller has just checked a fresh second factor;
    /// a card the customer typed is refused (its kind is bound into its ciphertext).
    pub fn reveal_to_cardholder(&self, card: &SealedCard) -> Result<RevealedNumber, VaultError> {
        if card.kind != CardKind::Virtual {
            return Err(VaultError::NotRevealable);
        }
        Ok(RevealedNumber { number: self.open(card)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyRing;

    fn vault() -> Vault {
        Vault::new(KeyRing::generate())
    }

    #[test]
    fn a_virtual_card_is_a_valid_number_under_its_bin_and_only_it_is_revealed() {
        let vault = vault();
        let card = vault.issue_virtual("35281234", Expiry::from_record(6, 2031)).unwrap();
        assert_eq!((card.brand, card.kind, &card.bin6[..]), (Brand::Jcb, CardKind::Virtual, "352812"));
        let revealed = vault.reveal_to_cardholder(&card).unwrap();
        let digits = revealed.expose_digits_for_display();
        assert!(digits.starts_with("35281234") && digits.len() == 16 && luhn::is_valid(&digits), "{digits}");
        assert_eq!(format!("{revealed:?}"), format!("RevealedNumber(352812******{})", card.last4));
        let typed = vault.seal(CardNumber::parse("4111111111111111").unwrap(), Expiry::from_record(6, 2031));
        assert!(matches!(vault.reveal_to_cardholder(&typed), Err(VaultError::NotRevealable)));
        for bad in ["12345", "123456789", "99999999", "4111x1"] {
            assert!(
                matches!(vault.issue_virtual(bad, Expiry::from_record(6, 2031)), Err(VaultError::IssuerBin)),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_issuer_authorisation_is_read_without_its_digits() {
        let vault = vault();
        let card = vault.issue_virtual("411111", Expiry::from_record(6, 2031)).unwrap();
        let pan = vault.reveal_to_cardholder(&card).unwrap().expose_digits_for_display();
        let body = serde_json::json!({
            "pan": pan, "expiry": "3106", "cvc": "123", "amount_minor": 1500, "currency": "JPY",
            "merchant_name": "ANSHIN CAFE", "mcc": "5812", "network_ref": Uuid::new_v4().to_string(),
        });
        let auth = vault.read_issuer_authorization(body.to_string().as_bytes()).unwrap();
        assert_eq!(auth.fingerprint, card.fingerprint);
        assert_eq!(
            (auth.last4.as_str(), auth.expiry.yymm().as_str(), auth.amount_minor),
            (&card.last4[..], "3106", 1500)
        );
        assert!(auth.security_code_presented);
        assert!(!format!("{auth:?}").contains(&pan));
    }

    #[test]
    fn a_malformed_issuer_message_is_refused_without_echoing_it() {
        let vault = vault();
        let pan = "4111111111111111";
        let good = serde_json::json!({
            "pan": pan, "expiry": "3106", "amount_minor": 1500, "currency": "JPY",
            "merchant_name": "ANSHIN CAFE", "mcc": "5812", "network_ref": Uuid::new_v4().to_string(),
        });
        let mut bodies: Vec<String> = vec![
            format!(r#"{{"pan": {pan}}}"#),
            format!(r#"{{"pan": "{pan}", "#),
            good.to_string().replace(pan, "4111111111111112"),
            good.to_string().replace("3106", "3113"),
            good.to_string().replace("5812", "58x2"),
            good.to_string().replace("\"JPY\"", "\"jpy\""),
            good.to_string().replace("1500", "0"),
            "x".repeat(10_000),
        ];
        bodies.push(good.to_string().replace("ANSHIN CAFE", "a\\u0000b"));
        for body in bodies {
            let e = vault.read_issuer_authorization(body.as_bytes()).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("4111111") && !shown.contains("58x2"), "{shown}");
        }
    }
}
