//! The result file: the bank's answer to a transfer file, one result per transfer.
//!
//! The Zengin formats define a result layout for account transfers (口座振替, kind 91: a result
//! digit per data record, paid and unpaid totals in the trailer) but none for 総合振込, and banks'
//! own 振込結果 downloads differ. Anshin's convention follows the 口座振替 shape without losing any
//! request field: the transfer file's records come back unchanged, with
//! - the result code (振込結果コード) in the first dummy byte of each data record (byte 113),
//! - the paid and returned totals in the trailer at bytes 19..55 (see `trailer.rs`).

use super::fields::{Reader, Writer};
use super::trailer::{self, Totals};
use super::{Layout, LineEnding, TransferHeader, TransferRecord, read_file, write_file};
use crate::error::FileError;

/// Where the result code sits in a data record: the first byte of its dummy area.
const RESULT_AT: usize = 113;

/// The outcome of one transfer, as its code in the result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferResult {
    /// 0: paid into the account.
    Paid,
    /// 1: no such account (口座なし・口座番号相違).
    NoSuchAccount,
    /// 2: the holder's name does not match the account (受取人名相違).
    NameMismatch,
    /// 3: the account is closed (解約済).
    AccountClosed,
    /// 4: the account takes no transfers (取引停止・振込停止).
    AccountSuspended,
    /// 9: returned for another reason.
    Other,
}

impl TransferResult {
    pub fn code(self) -> u8 {
        match self {
            Self::Paid => 0,
            Self::NoSuchAccount => 1,
            Self::NameMismatch => 2,
            Self::AccountClosed => 3,
            Self::AccountSuspended => 4,
            Self::Other => 9,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        [Self::Paid, Self::NoSuchAccount, Self::NameMismatch, Self::AccountClosed, Self::AccountSuspended, Self::Other]
            .into_iter()
            .find(|result| result.code() == code)
    }

    /// Only `Paid` moved money; every other result means the amount came back to the requester.
    pub fn is_paid(self) -> bool {
        self == Self::Paid
    }
}

/// One transfer as sent, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultRecord {
    pub transfer: TransferRecord,
    pub result: TransferResult,
}

/// A result file: the transfer file's header and records, each with its result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResultFile {
    pub header: TransferHeader,
    pub records: Vec<ResultRecord>,
}

/// Writes a result file, each record followed by CR LF.
pub fn encode_result(file: &ResultFile) -> Result<Vec<u8>, FileError> {
    encode_result_with(file, LineEnding::CrLf)
}

/// Writes a result file with the given line ending.
pub fn encode_result_with(file: &ResultFile, line_ending: LineEnding) -> Result<Vec<u8>, FileError> {
    write_file::<Results>(&file.header, &file.records, line_ending)
}

/// Reads a result file, checking every field, the totals and the paid/returned split.
pub fn parse_result(input: &[u8]) -> Result<ResultFile, FileError> {
    let (header, records) = read_file::<Results>(input)?;
    Ok(ResultFile { header, records })
}

struct Results;

fn split_totals(items: &[ResultRecord]) -> (Totals, Totals) {
    let mut paid = Totals::default();
    let mut returned = Totals::default();
    for item in items {
        let side = if item.result.is_paid() { &mut paid } else { &mut returned };
        side.add(item.transfer.amount_yen);
    }
    (paid, returned)
}

impl Layout for Results {
    type Item = ResultRecord;

    fn transfer(item: &ResultRecord) -> &TransferRecord {
        &item.transfer
    }

    fn write_dummy(item: &ResultRecord, out: &mut Writer) {
        out.digit(RESULT_AT, item.result.code());
    }

    fn read_dummy(transfer: TransferRecord, record: &Reader<'_>) -> Result<ResultRecord, FileError> {
        let expected = "0 (paid), 1, 2, 3, 4 or 9 (returned)";
        let result = TransferResult::from_code(record.digit(RESULT_AT, "result", expected)?)
            .ok_or_else(|| record.error(RESULT_AT..RESULT_AT + 1, "result", expected))?;
        record.spaces(RESULT_AT + 1..120, "dummy")?;
        Ok(ResultRecord { transfer, result })
    }

    fn write_trailer(items: &[ResultRecord], out: &mut Writer) -> Result<(), FileError> {
        let (paid, returned) = split_totals(items);
        trailer::write_totals(out, 19, ["paid_count", "paid_amount"], paid)?;
        trailer::write_totals(out, 37, ["returned_count", "returned_amount"], returned)
    }

    fn check_trailer(items: &[ResultRecord], record: &Reader<'_>) -> Result<(), FileError> {
        let (paid, returned) = split_totals(items);
        trailer::check_totals(record, 19, ["paid_count", "paid_amount"], paid)?;
        trailer::check_totals(record, 37, ["returned_count", "returned_amount"], returned)?;
        record.spaces(55..120, "dummy")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_convert_both_ways() {
        for code in 0..=9 {
            assert!(TransferResult::from_code(code).is_none_or(|result| result.code() == code));
        }
        assert_eq!(TransferResult::from_code(5), None);
        assert!(TransferResult::Paid.is_paid() && !TransferResult::NameMismatch.is_paid());
    }
}
