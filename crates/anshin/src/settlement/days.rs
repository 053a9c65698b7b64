//! Business days and the cut-off, in Japan time (a fixed +09:00: Japan has no daylight saving).
//!
//! Business day D runs from the cut-off on D to the cut-off on D+1. With the default 00:00 that
//! is the calendar day D in Japan; with 15:00 it is D 15:00 to D+1 15:00.

use jiff::civil::Date;
use jiff::tz::Offset;

const JST: Offset = Offset::constant(crate::i18n::JST_OFFSET_HOURS);

/// The time of day (Japan time) at which a business day ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoff {
    secs_of_day: i32,
}

impl Cutoff {
    pub const MIDNIGHT: Cutoff = Cutoff { secs_of_day: 0 };

    /// `HH:MM` or `HH:MM:SS`, 00:00:00 to 23:59:59.
    pub fn parse(s: &str) -> Result<Cutoff, String> {
        let bad = || format!("the cut-off is HH:MM (Japan time), 00:00 to 23:59, not {s:?}");
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=3).contains(&parts.len())
            || parts.iter().any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let n: Vec<i32> = parts.iter().map(|p| p.parse().unwrap_or(99)).collect();
        let (h, m, sec) = (n[0], n[1], n.get(2).copied().unwrap_or(0));
        if h > 23 || m > 59 || sec > 59 {
            return Err(bad());
        }
        Ok(Cutoff { secs_of_day: h * 3600 + m * 60 + sec })
    }
}

impl std::fmt::Display for Cutoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.secs_of_day;
        write!(f, "{:02}:{:02}", s / 3600, s / 60 % 60)?;
        if s % 60 != 0 {
            write!(f, ":{:02}", s % 60)?;
        }
        Ok(())
    }
}

/// A business day, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BusinessDay(Date);

impl BusinessDay {
    pub fn parse(s: &str) -> Result<BusinessDay, String> {
        let bad = || format!("the day is YYYY-MM-DD, not {s:?}");
        if s.len() != 10 {
            return Err(bad());
        }
        let date: Date = s.parse().map_err(|_| bad())?;
        if date.year() < 2000 || date.year() > 9998 {
            return Err(bad());
        }
        Ok(BusinessDay(date))
    }

    /// When the day ends (UTC ms): its items are those stamped before this.
    pub fn end_ms(self, cutoff: Cutoff) -> i64 {
        let next = self.0.tomorrow().expect("years are bounded by parse");
        let start = next.at(0, 0, 0, 0);
        let ts = JST.to_timestamp(start).expect("years are bounded by parse");
        ts.as_millisecond() + i64::from(cutoff.secs_of_day) * 1000
    }

    /// The business day that `at_ms` falls in.
    pub fn containing(at_ms: i64, cutoff: Cutoff) -> BusinessDay {
        let shifted = at_ms - i64::from(cutoff.secs_of_day) * 1000;
        let ts = jiff::Timestamp::from_millisecond(shifted).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        BusinessDay(JST.to_datetime(ts).date())
    }

    /// The last business day that is over (cut-off and `grace_secs` passed) at `now_ms`.
    pub fn last_closed(now_ms: i64, cutoff: Cutoff, grace_secs: i64) -> BusinessDay {
        let today = BusinessDay::containing(now_ms - grace_secs * 1000, cutoff);
        BusinessDay(today.0.yesterday().unwrap_or(today.0))
    }

    pub fn month(self) -> u8 {
        self.0.month() as u8
    }

    pub fn day(self) -> u8 {
        self.0.day() as u8
    }
}

impl std::fmt::Display for BusinessDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_ends_at_its_cut_off_in_japan_time() {
        let d = BusinessDay::parse("2026-11-30").unwrap();
        // 2026-12-01 00:00 JST = 2026-11-30 15:00 UTC.
        let midnight = 1_796_050_800_000;
        assert_eq!(d.end_ms(Cutoff::MIDNIGHT), midnight);
        assert_eq!(d.end_ms(Cutoff::parse("15:00").unwrap()), midnight + 15 * 3_600_000);
        assert_eq!(BusinessDay::containing(midnight - 1, Cutoff::MIDNIGHT), d);
        assert_eq!(BusinessDay::containing(midnight, Cutoff::MIDNIGHT).to_string(), "2026-12-01");
        assert_eq!(BusinessDay::containing(midnight + 15 * 3_600_000 - 1, Cutoff::parse("15:00").unwrap()), d);
        assert_eq!(BusinessDay::last_closed(midnight + 30_000, Cutoff::MIDNIGHT, 60).to_string(), "2026-11-29");
        assert_eq!(BusinessDay::last_closed(midnight + 60_000, Cutoff::MIDNIGHT, 60), d);
    }

    #[test]
    fn cut_offs_and_days_are_parsed_strictly() {
        assert_eq!(Cutoff::parse("00:00").unwrap(), Cutoff::MIDNIGHT);
        assert_eq!(Cutoff::parse("23:59:30").unwrap().to_string(), "23:59:30");
        assert_eq!(Cutoff::parse("15:00").unwrap().to_string(), "15:00");
        for bad in ["24:00", "7:00", "12:60", "12", "12:00:00:00", "ab:cd", ""] {
            assert!(Cutoff::parse(bad).is_err(), "{bad}");
        }
        for bad in ["2026-13-01", "2026-02-30", "26-01-01", "2026-1-1", "1999-12-31", "x"] {
            assert!(BusinessDay::parse(bad).is_err(), "{bad}");
        }
    }
}
