//! Identity values parsed once at the edge (parse, don't validate).

/// An e-mail address valid by the HTML standard's rule (what `<input type=email>` accepts), with
/// the domain in its ASCII form: a domain typed in Unicode (`例え.jp`) is converted with IDNA
/// (UTS 46) and stored as `xn--r8jz45g.jp`. Lower-cased. Whether it works is proved by a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// RFC 5321: 64 octets of local part; 256 for the whole path, which is 254 without the brackets.
const EMAIL_LOCAL_MAX: usize = 64;
const EMAIL_MAX: usize = 254;

impl Email {
    pub fn parse(s: &str) -> Result<Email, String> {
        let err = || "enter a valid e-mail address".to_owned();
        let s = s.trim();
        // Outside the rule below anyway; refused first so that IDNA never gets to map an invisible
        // character away (a soft hyphen or zero-width joiner in the domain) and accept the rest.
        if s.chars().any(is_hidden) {
            return Err(err());
        }
        let (local, domain) = s.split_once('@').ok_or_else(err)?;
        if local.is_empty() || local.len() > EMAIL_LOCAL_MAX || !local.bytes().all(is_html_email_local_byte) {
            return Err(err());
        }
        let domain = idna::domain_to_ascii_strict(domain).map_err(|_| err())?;
        if !domain.contains('.') || !domain.split('.').all(is_html_email_label) {
            return Err(err());
        }
        let address = format!("{}@{domain}", local.to_ascii_lowercase());
        if address.len() > EMAIL_MAX {
            return Err(err());
        }
        Ok(Email(address))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The local part of the HTML standard's "valid e-mail address": ASCII letters, digits and
/// ``.!#$%&'*+/=?^_`{|}~-`` (no quotes, spaces, angle brackets or anything else).
fn is_html_email_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b)
}

/// A domain label of the HTML rule: 1 to 63 letters, digits and hyphens, no hyphen at either end.
fn is_html_email_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// Characters that control or format text, or that render as nothing: general category "Other"
/// (controls, format characters such as zero-width spaces, bidi controls, the BOM and soft hyphen,
/// private use, unassigned) and Unicode's default-ignorable code points (which also takes in
/// variation selectors, tag characters and the Hangul fillers U+115F, U+1160, U+3164, U+FFA0).
/// A name or address with one of these can look the same as another and not be.
pub fn is_hidden(c: char) -> bool {
    use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup};
    use icu_properties::{CodePointMapData, CodePointSetData};
    GeneralCategoryGroup::Other.contains(CodePointMapData::<GeneralCategory>::new().get(c))
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
        // Braille blank: a letter-like symbol that shows as nothing, the classic "invisible name".
        || c == '\u{2800}'
}

/// A mobile number in E.164 (`+819012345678`). A Japanese number typed the domestic way
/// (`090-1234-5678`) is read as +81.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, String> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        let e164 = if let Some(rest) = compact.strip_prefix('+') {
            format!("+{rest}")
        } else if let Some(rest) = compact.strip_prefix('0').filter(|r| r.len() == 9 || r.len() == 10) {
            format!("+81{rest}")
        } else {
            return Err("enter a mobile number with its country code, like +81 90 1234 5678".into());
        };
        let digits = &e164[1..];
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0') {
            Ok(Phone(e164))
        } else {
            Err("enter a mobile number with its country code, like +81 90 1234 5678".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The legal name, as on an ID document: needed for the same-name withdrawal rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalName(String);

impl LegalName {
    pub fn parse(s: &str) -> Result<LegalName, String> {
        let s = s.trim();
        let n = s.chars().count();
        if s.chars().any(is_hidden) {
            return Err("enter your legal name without control or invisible characters".into());
        }
        if (1..=100).contains(&n) {
            // Runs of any spaces (the full-width U+3000 of Japanese input among them) become one.
            Ok(LegalName(s.split_whitespace().collect::<Vec<_>>().join(" ")))
        } else {
            Err("enter your legal name (1 to 100 characters)".into())
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A date of birth, always given by the person: never defaulted (7pay defaulted it to
/// 2019-01-01), and never used as a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl BirthDate {
    /// `YYYY-MM-DD`, a real calendar date, between 120 years ago and `today_year` (exclusive of the future).
    pub fn parse(s: &str, today: (u16, u8, u8)) -> Result<BirthDate, String> {
        let err = || "enter your date of birth as YYYY-MM-DD".to_owned();
        let parts: Vec<&str> = s.trim().split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(err());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(err());
        }
        let (year, month, day): (u16, u8, u8) =
            (y.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?, d.parse().map_err(|_| err())?);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(err()),
        };
        if day == 0 || day > days_in_month {
            return Err(err());
        }
        if (year, month, day) > today || year + 120 < today.0 {
            return Err("that date of birth is not possible".into());
        }
        Ok(BirthDate { year, month, day })
    }
    pub fn to_iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Today's UTC date from the clock, for date-of-birth checks.
pub fn today_utc() -> (u16, u8, u8) {
    let (y, m, d) = civil_from_days(crate::storage::now_ms().div_euclid(86_400_000));
    (y as u16, m as u8, d as u8)
}

/// The calendar date of a day number since 1970-01-01 (Howard Hinnant's civil-from-days).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_follow_the_html_rule_and_store_the_domain_in_ascii() {
        for (typed, stored) in [
            (" Taro@Example.JP ", "taro@example.jp"),
            ("taro@例え.jp", "taro@xn--r8jz45g.jp"),
            ("TARO@例え.JP", "taro@xn--r8jz45g.jp"),
            ("taro@xn--r8jz45g.jp", "taro@xn--r8jz45g.jp"),
            // Full-width letters and the ideographic full stop are IDNA-mapped to their ASCII selves.
            ("taro@ｅｘａｍｐｌｅ。ｊｐ", "taro@example.jp"),
            ("o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk"),
            ("a.b-c_d!#$%&*/=?^`{|}~@sub-domain.example.jp", "a.b-c_d!#$%&*/=?^`{|}~@sub-domain.example.jp"),
        ] {
            assert_eq!(Email::parse(typed).unwrap().as_str(), stored, "{typed:?}");
        }
        let long_local = "a".repeat(64);
        assert!(Email::parse(&format!("{long_local}@example.jp")).is_ok());
        assert!(Email::parse(&format!("a{long_local}@example.jp")).is_err(), "65-octet local part");
        let label = "a".repeat(63);
        let domain = format!("{label}.{label}.{label}.{}.jp", "a".repeat(47)); // 242 octets
        assert!(Email::parse(&format!("{}@{domain}", "b".repeat(11))).is_ok(), "254 in all");
        assert!(Email::parse(&format!("{}@{domain}", "b".repeat(12))).is_err(), "255 in all");
        assert!(Email::parse(&format!("taro@{}.jp", "a".repeat(64))).is_err(), "64-octet label");
        for bad in [
            "",
            "taro",
            "taro@",
            "@example.jp",
            "taro@example",
            "taro@example.jp.",
            "taro@.example.jp",
            "taro@exa_mple.jp",
            "taro@-example.jp",
            "taro@example-.jp",
            "a b@example.jp",
            "taro@@example.jp",
            "taro@exa mple.jp",
            "\"taro\"@example.jp",
            "太郎@example.jp",
            "taro@example.jp\r\nBcc: x@y.z",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_refuse_markup_controls_and_invisible_characters() {
        for bad in [
            "<taro>@example.jp",
            "taro@example.jp>",
            "taro<script>@example.jp",
            "taro@exa<b>mple.jp",
            "taro\u{0}@example.jp",
            "taro@example.jp\u{0}",
            "taro\u{7}@example.jp",
            "taro@exa\u{85}mple.jp",
            "\u{feff}taro@example.jp",
            "taro@example.jp\u{feff}",
            "ta\u{200b}ro@example.jp",
            // IDNA alone would drop these from a domain and accept what is left.
            "taro@exa\u{200b}mple.jp",
            "taro@exa\u{200d}mple.jp",
            "taro@exa\u{200c}mple.jp",
            "taro@exa\u{ad}mple.jp",
            "taro@exa\u{2060}mple.jp",
            "taro@例\u{fe0f}え.jp",
            "taro@\u{202e}pj.elpmaxe",
            "taro@exa\u{2066}mple.jp",
            "taro@exa\u{3164}mple.jp",
            "taro@exa\u{ffa0}mple.jp",
            "taro@exa\u{e0041}mple.jp",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_keep_japanese_and_refuse_controls_and_invisible_characters() {
        for (typed, stored) in [
            ("山田　太郎", "山田 太郎"),
            ("  Yamada   Taro ", "Yamada Taro"),
            ("やまだ たろう", "やまだ たろう"),
            ("ヤマダ タロウ", "ヤマダ タロウ"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("髙橋 𠮷男", "髙橋 𠮷男"),
            ("José Ñúñez-O'Brien", "José Ñúñez-O'Brien"),
        ] {
            assert_eq!(LegalName::parse(typed).unwrap().as_str(), stored, "{typed:?}");
        }
        for bad in [
            "",
            "　",
            "Yamada\u{0}Taro",
            "Yamada\tTaro",
            "Yamada\nTaro",
            "Yamada\u{7f}Taro",
            "Yamada\u{9b}Taro",
            "\u{feff}Yamada Taro",
            "Yama\u{200b}da",
            "Yama\u{200c}da",
            "Yama\u{200d}da",
            "Yama\u{2060}da",
            "Yama\u{ad}da",
            "\u{202e}oraT adamaY",
            "Yamada \u{2067}Taro",
            "Yamada\u{61c}",
            "Yamada\u{180e}",
            "Yamada\u{e0001}\u{e0041}",
            "\u{115f}",
            "\u{1160}",
            "\u{3164}",
            "\u{ffa0}",
            "Yamada \u{3164}",
            "\u{2800}",
            "山\u{e0100}田",
            "Yamada\u{e000}",
            "Yamada\u{fff0}",
        ] {
            assert!(LegalName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(LegalName::parse(&"山".repeat(100)).is_ok());
        assert!(LegalName::parse(&"山".repeat(101)).is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("+81 90-1234-5678").unwrap().as_str(), "+819012345678");
        assert_eq!(Phone::parse("090-1234-5678").unwrap().as_str(), "+819012345678");
        for bad in ["", "12345", "+0123456789", "+81abc", "+1234567890123456"] {
            assert!(Phone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn birth_dates_are_real_and_never_defaulted() {
        let today = (2026, 11, 21);
        assert_eq!(BirthDate::parse("1990-04-15", today).unwrap().to_iso(), "1990-04-15");
        assert!(BirthDate::parse("2000-02-29", today).is_ok());
        for bad in ["", "1990-4-15", "1990-02-30", "1900-02-29", "2027-01-01", "1890-01-01", "15/04/1990"] {
            assert!(BirthDate::parse(bad, today).is_err(), "{bad:?}");
        }
        let (y, m, d) = today_utc();
        assert!(y >= 2026 && (1..=12).contains(&m) && (1..=31).contains(&d));
    }
}
