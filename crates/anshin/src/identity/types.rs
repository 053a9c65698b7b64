//! Identity values parsed once at the edge (parse, don't validate).

/// A lower-cased e-mail address of a plausible shape. Whether it works is proved by a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, String> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if ok { Ok(Email(s)) } else { Err("enter a valid e-mail address".into()) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
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
        if (1..=100).contains(&n) && !s.chars().any(char::is_control) {
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
    fn emails() {
        assert_eq!(Email::parse(" Taro@Example.JP ").unwrap().as_str(), "taro@example.jp");
        for bad in [
            "",
            "taro",
            "taro@",
            "@example.jp",
            "taro@example",
            "a b@example.jp",
            "taro@@example.jp",
            "taro@example.jp\r\nBcc: x@y.z",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
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
