//! How amounts and times read on pages and in messages: yen as `¥1,234`, times in Japan time.

use jiff::Timestamp;
use jiff::tz::Offset;

use super::Locale;

/// Japan Standard Time is UTC+9 all year: Japan has observed no daylight saving time since
/// 1951, so a fixed offset is exact for every time Anshin can record, and needs no time-zone
/// database on the server.
pub const JST_OFFSET_HOURS: i8 = 9;
const JST: Offset = Offset::constant(JST_OFFSET_HOURS);

/// An amount in yen, from JPY minor units. The yen has no subunit in use (ISO 4217 exponent 0),
/// so minor units are yen: `yen(1234)` is `¥1,234`, `yen(-500)` is `-¥500`. Same in both
/// languages: the form Japanese receipts and price tags use.
pub fn yen(amount_minor: i64) -> String {
    let digits = amount_minor.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    let sign = if amount_minor < 0 { "-" } else { "" };
    format!("{sign}¥{grouped}")
}

/// A moment (milliseconds since the Unix epoch) as date and time in Japan:
/// `2026年4月1日 14:05` or `1 April 2026, 14:05 JST`.
pub fn tokyo_date_time(at_ms: i64, locale: Locale) -> String {
    let pattern = match locale {
        Locale::Ja => "%Y年%-m月%-d日 %H:%M",
        Locale::En => "%-d %B %Y, %H:%M JST",
    };
    in_tokyo(at_ms, pattern)
}

/// The calendar date in Japan of a moment: `2026年4月1日` or `1 April 2026`.
pub fn tokyo_date(at_ms: i64, locale: Locale) -> String {
    let pattern = match locale {
        Locale::Ja => "%Y年%-m月%-d日",
        Locale::En => "%-d %B %Y",
    };
    in_tokyo(at_ms, pattern)
}

fn in_tokyo(at_ms: i64, pattern: &str) -> String {
    // Out of jiff's range (beyond the years -9999..=9999) cannot come from our clock; show the
    // raw number rather than fail a page.
    match Timestamp::from_millisecond(at_ms) {
        Ok(t) => JST.to_datetime(t).strftime(pattern).to_string(),
        Err(_) => at_ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yen_groups_thousands_and_has_no_decimals() {
        for (minor, shown) in [
            (0, "¥0"),
            (5, "¥5"),
            (999, "¥999"),
            (1_000, "¥1,000"),
            (1_234, "¥1,234"),
            (12_345, "¥12,345"),
            (1_234_567, "¥1,234,567"),
            (-500, "-¥500"),
            (-1_234_567, "-¥1,234,567"),
            (i64::MIN, "-¥9,223,372,036,854,775,808"),
        ] {
            assert_eq!(yen(minor), shown, "{minor}");
        }
    }

    #[test]
    fn times_are_shown_in_japan_time() {
        // 2026-03-31T15:05:00Z is already 1 April in Tokyo.
        let at_ms = 1_774_969_500_000;
        assert_eq!(tokyo_date_time(at_ms, Locale::Ja), "2026年4月1日 00:05");
        assert_eq!(tokyo_date_time(at_ms, Locale::En), "1 April 2026, 00:05 JST");
        assert_eq!(tokyo_date(at_ms, Locale::Ja), "2026年4月1日");
        assert_eq!(tokyo_date(at_ms, Locale::En), "1 April 2026");
        // Midsummer too: no daylight saving shift.
        assert_eq!(tokyo_date_time(1_783_000_000_000, Locale::Ja), "2026年7月2日 22:46");
    }
}
