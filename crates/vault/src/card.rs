//! A card as the customer typed it: the number, the expiry and the security code, each parsed
//! once into a type that cannot hold a malformed value and cannot print itself in the clear.
//!
//! The digits of a [`CardNumber`] and a [`SecurityCode`] are private to this crate: no accessor,
//! `Display` or `Serialize` hands them out, so code outside the vault that wants the digits does
//! not compile. Both are zeroized when dropped.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{MAX_EXPIRY_YEARS_AHEAD, MAX_NUMBER_INPUT_CHARS, MAX_PAN_DIGITS, MIN_PAN_DIGITS, luhn};

/// What is wrong with a typed card. The service may log and show these: none carries a digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("the card number holds a character other than digits, spaces and hyphens")]
    NumberCharacters,
    #[error("the card number must have 12 to 19 digits")]
    NumberLength,
    #[error("the card number's check digit is wrong")]
    NumberChecksum,
    #[error("cards of this brand are not accepted")]
    UnknownBrand,
    #[error("the expiry date is not a month (1-12) and a year (2 or 4 digits)")]
    ExpiryFormat,
    #[error("the card has expired")]
    Expired,
    #[error("the expiry date is more than 20 years ahead")]
    ExpiryTooFar,
    #[error("the security code must have 3 digits (4 for American Express)")]
    SecurityCodeFormat,
}

/// The card networks Anshin accepts, told apart by the number's first digits (the BIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Brand {
    Visa,
    Mastercard,
    Jcb,
    AmericanExpress,
    Diners,
    Discover,
}

impl Brand {
    /// The brand of a number starting with `digits` (at least 4 digits are needed), or `None`
    /// for a BIN no accepted network issues: such a card is refused, never guessed.
    pub fn from_bin(digits: &str) -> Option<Brand> {
        let prefix = |n: usize| digits.get(..n).filter(|p| p.bytes().all(|b| b.is_ascii_digit()))?.parse::<u32>().ok();
        let (p1, p2, p3, p4) = (prefix(1)?, prefix(2)?, prefix(3)?, prefix(4)?);
        Some(match () {
            _ if p1 == 4 => Brand::Visa,
            _ if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) => Brand::Mastercard,
            _ if (3528..=3589).contains(&p4) => Brand::Jcb,
            _ if p2 == 34 || p2 == 37 => Brand::AmericanExpress,
            _ if (300..=305).contains(&p3) || [36, 38, 39].contains(&p2) => Brand::Diners,
            _ if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 => Brand::Discover,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Jcb => "jcb",
            Brand::AmericanExpress => "american_express",
            Brand::Diners => "diners",
            Brand::Discover => "discover",
        }
    }

    /// American Express prints a 4-digit code on the front; every other brand 3 on the back.
    pub fn security_code_digits(self) -> usize {
        if self == Brand::AmericanExpress { 4 } else { 3 }
    }
}

/// A card number that has passed the length, Luhn and brand checks. Its digits never leave this
/// crate except towards the card network (see `network`) or a virtual card's own holder.
pub struct CardNumber {
    digits: Zeroizing<String>,
    brand: Brand,
}

impl CardNumber {
    /// Parse a number as typed: digits, optionally grouped by single spaces or hyphens.
    pub fn parse(input: &str) -> Result<CardNumber, CardError> {
        let input = input.trim();
        if input.chars().count() > MAX_NUMBER_INPUT_CHARS {
            return Err(CardError::NumberLength);
        }
        // Sized once so that pushing never reallocates and leaves a stray copy of the digits.
        let mut digits = Zeroizing::new(String::with_capacity(MAX_PAN_DIGITS + 1));
        let mut after_digit = false;
        for c in input.chars() {
            match c {
                '0'..='9' if digits.len() > MAX_PAN_DIGITS => return Err(CardError::NumberLength),
                '0'..='9' => {
                    digits.push(c);
                    after_digit = true;
                }
                ' ' | '-' if after_digit => after_digit = false,
                _ => return Err(CardError::NumberCharacters),
            }
        }
        if !after_digit && !input.is_empty() {
            return Err(CardError::NumberCharacters); // a trailing separator
        }
        CardNumber::from_digits(digits)
    }

    /// Checks every rule but the separators: the vault's own decryptions and generated numbers
    /// come through here too, so no number exists that skipped a check.
    pub(crate) fn from_digits(digits: Zeroizing<String>) -> Result<CardNumber, CardError> {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::NumberCharacters);
        }
        if !(MIN_PAN_DIGITS..=MAX_PAN_DIGITS).contains(&digits.len()) {
            return Err(CardError::NumberLength);
        }
        if !luhn::is_valid(&digits) {
            return Err(CardError::NumberChecksum);
        }
        let brand = Brand::from_bin(&digits).ok_or(CardError::UnknownBrand)?;
        Ok(CardNumber { digits, brand })
    }

    pub fn brand(&self) -> Brand {
        self.brand
    }

    /// The first six digits: shown beside the last four (PCI DSS 3.4.1 allows no more).
    pub fn bin6(&self) -> &str {
        &self.digits[..6]
    }

    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }

    pub(crate) fn digits(&self) -> &str {
        &self.digits
    }
}

impl std::fmt::Debug for CardNumber {
    /// `411111******1111`: the BIN and the last four, every middle digit masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let masked = self.digits.len() - 10;
        write!(f, "{}{}{}", self.bin6(), "*".repeat(masked), self.last4())
    }
}

/// The last month a card can be used in. It is valid through the end of that month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Expiry {
    month: u8,
    year: u16,
}

impl Expiry {
    /// Parse a typed month (`1`–`12`, optionally zero-padded) and year (`27` or `2027`), refusing
    /// a card already expired on `today` or expiring more than 20 years after it.
    pub fn parse(month: &str, year: &str, today: Date) -> Result<Expiry, CardError> {
        let (month, year) = (month.trim(), year.trim());
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(month) || month.len() > 2 || !all_digits(year) || !(year.len() == 2 || year.len() == 4) {
            return Err(CardError::ExpiryFormat);
        }
        let month: u8 = month.parse().map_err(|_| CardError::ExpiryFormat)?;
        let year: u16 = year.parse().map_err(|_| CardError::ExpiryFormat)?;
        let year = if year < 100 { 2000 + year } else { year };
        Expiry::new(month, year)?.usable_on(today)
    }

    /// A card's `YYMM` as the networks write it, checked against `today` like [`Expiry::parse`].
    pub fn parse_yymm(yymm: &str, today: Date) -> Result<Expiry, CardError> {
        Expiry::from_yymm(yymm)?.usable_on(today)
    }

    /// The month `years` years after `today`'s: how long a newly issued virtual card lasts.
    pub fn years_after(today: Date, years: u8) -> Result<Expiry, CardError> {
        let year = u16::try_from(today.year()).map_err(|_| CardError::ExpiryFormat)? + u16::from(years);
        Expiry::new(today.month() as u8, year)?.usable_on(today)
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// The four-digit year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// `YYMM`, the form in network messages and 3-D Secure's `cardExpiryDate`.
    pub fn yymm(self) -> String {
        format!("{:02}{:02}", self.year % 100, self.month)
    }

    /// Whether the card can no longer be used on `today`.
    pub fn is_expired_on(self, today: Date) -> bool {
        (i32::from(self.year), self.month as i32) < (i32::from(today.year()), i32::from(today.month()))
    }

    /// The structural checks alone, for a stored record or a network message (a message about an
    /// expired card is still a message: the issuer declines it, it does not fail to parse).
    pub(crate) fn new(month: u8, year: u16) -> Result<Expiry, CardError> {
        if !(1..=12).contains(&month) || !(2000..=2099).contains(&year) {
            return Err(CardError::ExpiryFormat);
        }
        Ok(Expiry { month, year })
    }

    /// A stored record's pair, as stored: it is bound into the record's ciphertext, so a pair
    /// changed in the database makes the record refuse to open rather than be used.
    pub(crate) fn from_record(month: u8, year: u16) -> Expiry {
        Expiry { month, year }
    }

    pub(crate) fn from_yymm(yymm: &str) -> Result<Expiry, CardError> {
        if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::ExpiryFormat);
        }
        let year = 2000 + yymm[..2].parse::<u16>().map_err(|_| CardError::ExpiryFormat)?;
        Expiry::new(yymm[2..].parse().map_err(|_| CardError::ExpiryFormat)?, year)
    }

    fn usable_on(self, today: Date) -> Result<Expiry, CardError> {
        if self.is_expired_on(today) {
            return Err(CardError::Expired);
        }
        if i32::from(self.year) - i32::from(today.year()) > i32::from(MAX_EXPIRY_YEARS_AHEAD) {
            return Err(CardError::ExpiryTooFar);
        }
        Ok(self)
    }
}

/// The 3 or 4 digits printed on the card. Not `Clone`, not printable: it is handed by value to
/// the network client's `verify`, used once, and zeroized. Nothing stores it (PCI DSS 3.3.1).
pub struct SecurityCode {
    digits: Zeroizing<String>,
}

impl SecurityCode {
    pub fn parse(input: &str, brand: Brand) -> Result<SecurityCode, CardError> {
        let input = input.trim();
        if input.len() != brand.security_code_digits() || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::SecurityCodeFormat);
        }
        Ok(SecurityCode { digits: Zeroizing::new(input.to_owned()) })
    }

    pub(crate) fn digits(&self) -> &str {
        &self.digits
    }
}

impl std::fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecurityCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_number_is_accepted_with_spaces_or_hyphens_between_digits_only() {
        for typed in ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", " 4111 1111-1111 1111 "] {
            let n = CardNumber::parse(typed).unwrap();
            assert_eq!(n.digits(), "4111111111111111", "{typed}");
        }
        for typed in ["4111  1111 1111 1111", "-4111111111111111", "4111111111111111-", "4111_1111111111111", ""] {
            assert!(CardNumber::parse(typed).is_err(), "{typed:?}");
        }
        assert_eq!(CardNumber::parse("4111.1111").unwrap_err(), CardError::NumberCharacters);
    }

    #[test]
    fn length_luhn_and_brand_are_each_refused_by_name() {
        assert_eq!(CardNumber::parse("41111111117").unwrap_err(), CardError::NumberLength);
        assert_eq!(CardNumber::parse("41111111111111111113").unwrap_err(), CardError::NumberLength);
        assert_eq!(CardNumber::parse(&"4".repeat(200)).unwrap_err(), CardError::NumberLength);
        assert_eq!(CardNumber::parse("4111111111111112").unwrap_err(), CardError::NumberChecksum);
        // 9999… is Luhn-valid but no accepted network issues it.
        assert_eq!(CardNumber::parse("9999999999999995").unwrap_err(), CardError::UnknownBrand);
    }

    #[test]
    fn brands_follow_the_bin_ranges() {
        let cases = [
            ("4111", Some(Brand::Visa)),
            ("5100", Some(Brand::Mastercard)),
            ("5599", Some(Brand::Mastercard)),
            ("2221", Some(Brand::Mastercard)),
            ("2720", Some(Brand::Mastercard)),
            ("2721", None),
            ("2220", None),
            ("3528", Some(Brand::Jcb)),
            ("3589", Some(Brand::Jcb)),
            ("3590", None),
            ("3400", Some(Brand::AmericanExpress)),
            ("3700", Some(Brand::AmericanExpress)),
            ("3000", Some(Brand::Diners)),
            ("3059", Some(Brand::Diners)),
            ("3060", None),
            ("3600", Some(Brand::Diners)),
            ("3800", Some(Brand::Diners)),
            ("3900", Some(Brand::Diners)),
            ("6011", Some(Brand::Discover)),
            ("6440", Some(Brand::Discover)),
            ("6499", Some(Brand::Discover)),
            ("6500", Some(Brand::Discover)),
            ("6012", None),
            ("5000", None),
            ("411", None),
        ];
        for (bin, brand) in cases {
            assert_eq!(Brand::from_bin(bin), brand, "{bin}");
        }
    }

    #[test]
    fn debug_shows_only_the_bin_and_the_last_four() {
        let n = CardNumber::parse("4111 1111 1111 1111").unwrap();
        assert_eq!(format!("{n:?}"), "411111******1111");
        let short = CardNumber::parse("378282246310005").unwrap();
        assert_eq!(format!("{short:?}"), "378282*****0005");
        let code = SecurityCode::parse("123", Brand::Visa).unwrap();
        assert_eq!(format!("{code:?}"), "SecurityCode(***)");
    }

    #[test]
    fn an_expiry_must_be_this_month_or_later_and_at_most_twenty_years_ahead() {
        let today = date(2026, 5, 31);
        assert_eq!(Expiry::parse("5", "26", today).unwrap(), Expiry { month: 5, year: 2026 });
        assert_eq!(Expiry::parse("05", "2046", today).unwrap().yymm(), "4605");
        assert_eq!(Expiry::parse("4", "2026", today).unwrap_err(), CardError::Expired);
        assert_eq!(Expiry::parse("1", "2047", today).unwrap_err(), CardError::ExpiryTooFar);
        for (m, y) in [("13", "27"), ("0", "27"), ("1", "202"), ("x", "27"), ("1", ""), ("123", "27")] {
            assert_eq!(Expiry::parse(m, y, today).unwrap_err(), CardError::ExpiryFormat, "{m}/{y}");
        }
        assert_eq!(Expiry::parse_yymm("2712", today).unwrap(), Expiry { month: 12, year: 2027 });
        assert_eq!(Expiry::years_after(today, 5).unwrap(), Expiry { month: 5, year: 2031 });
        assert!(Expiry::from_yymm("2613").is_err());
    }

    #[test]
    fn a_security_code_has_three_digits_or_four_for_amex() {
        assert!(SecurityCode::parse("123", Brand::Visa).is_ok());
        assert!(SecurityCode::parse("1234", Brand::AmericanExpress).is_ok());
        assert!(SecurityCode::parse("1234", Brand::Visa).is_err());
        assert!(SecurityCode::parse("123", Brand::AmericanExpress).is_err());
        assert!(SecurityCode::parse("12a", Brand::Jcb).is_err());
    }

    #[test]
    fn no_error_message_echoes_what_was_typed() {
        let typed = ["4111 1111 1111 1112", "4111 1111 1111 111x", "9999 9999 9999 9995", "4111"];
        for t in typed {
            let message = format!("{} {:?}", CardNumber::parse(t).unwrap_err(), CardNumber::parse(t).unwrap_err());
            assert!(!message.contains("4111") && !message.contains("9999"), "{message}");
        }
    }
}
