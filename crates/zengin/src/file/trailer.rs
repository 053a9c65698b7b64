//! The trailer (データ区分 8) with the file's totals, and the end record (データ区分 9).
//!
//! | bytes   | field                 | Zengin name   | kind   |
//! |---------|-----------------------|---------------|--------|
//! | 0       | data type `8`         | データ区分    | N(1)   |
//! | 1..7    | total_count           | 合計件数      | N(6)   |
//! | 7..19   | total_amount          | 合計金額      | N(12)  |
//! | 19..120 | dummy                 | ダミー        | C(101) |
//!
//! A result file's trailer also splits the totals (the shape of the 口座振替 result trailer):
//!
//! | bytes   | field                 | Zengin name   | kind   |
//! |---------|-----------------------|---------------|--------|
//! | 19..25  | paid_count            | 振込済件数    | N(6)   |
//! | 25..37  | paid_amount           | 振込済金額    | N(12)  |
//! | 37..43  | returned_count        | 振込不能件数  | N(6)   |
//! | 43..55  | returned_amount       | 振込不能金額  | N(12)  |
//! | 55..120 | dummy                 | ダミー        | C(65)  |
//!
//! The end record is `9` and 119 spaces.

use super::fields::{Reader, Writer};
use crate::error::FileError;

/// 合計金額 is twelve digits.
pub const MAX_TOTAL_YEN: u64 = 999_999_999_999;

/// A count and a sum of amounts, as a trailer writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Totals {
    pub count: u64,
    pub amount_yen: u64,
}

impl Totals {
    pub fn add(&mut self, amount_yen: u64) {
        // Cannot overflow: at most 999,999 records of at most 9,999,999,999 yen each.
        debug_assert!(amount_yen <= super::MAX_AMOUNT_YEN && self.count < 1_000_000);
        self.count += 1;
        self.amount_yen += amount_yen;
    }
}

/// Writes a count (6 digits) and an amount (12 digits) starting at `at`.
pub(crate) fn write_totals(
    out: &mut Writer,
    at: usize,
    fields: [&'static str; 2],
    totals: Totals,
) -> Result<(), FileError> {
    out.number(at..at + 6, fields[0], totals.count)?;
    if totals.amount_yen > MAX_TOTAL_YEN {
        let found = totals.amount_yen.to_string();
        return Err(out.error(at + 6, fields[1], "a total of at most 999999999999 yen", found));
    }
    out.number(at + 6..at + 18, fields[1], totals.amount_yen)
}

/// Reads a count and an amount starting at `at` and checks them against the data records.
pub(crate) fn check_totals(
    record: &Reader<'_>,
    at: usize,
    fields: [&'static str; 2],
    counted: Totals,
) -> Result<(), FileError> {
    if record.number(at..at + 6, fields[0])? != counted.count {
        let expected = format!("{:06}, the number of data records", counted.count);
        return Err(record.error(at..at + 6, fields[0], expected));
    }
    if record.number(at + 6..at + 18, fields[1])? != counted.amount_yen {
        let expected = format!("{:012}, the sum of the data records", counted.amount_yen);
        return Err(record.error(at + 6..at + 18, fields[1], expected));
    }
    Ok(())
}

pub(crate) fn check_end(record: &Reader<'_>) -> Result<(), FileError> {
    record.spaces(1..120, "dummy")
}
