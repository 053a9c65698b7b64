//! The Zengin total-transfer file (総合振込, 全銀協規定フォーマット) and its result file.
//!
//! A file is 120-byte records: one header (1), the data records (2), a trailer (8) with the
//! totals, and an end record (9). Text is JIS X 0201 (the single-byte half of Shift_JIS): ASCII,
//! and half-width kana as the bytes 0xA1–0xDF. Records are written followed by CR LF unless
//! [`LineEnding::None`] is asked for; both forms are read.
//!
//! Only one header/trailer group per file (no マルチファイル) and only kind 21 (総合振込) with
//! code division 0 (JIS) are handled. The layouts are in each record's module and the README.

mod fields;
mod header;
mod record;
mod result;
mod trailer;
mod types;

use fields::{Position, RECORD_LEN, Reader, Writer, describe};

pub use header::TransferHeader;
pub use record::{MAX_AMOUNT_YEN, TransferRecord};
pub use result::{ResultFile, ResultRecord, TransferResult, encode_result, encode_result_with, parse_result};
pub use trailer::MAX_TOTAL_YEN;
pub use types::{AccountType, CustomerReference, Designation, NewCode, TransferDate};

use crate::error::{FileError, RecordKind};
use trailer::Totals;

/// 合計件数 is six digits, so a file holds at most this many data records.
pub const MAX_RECORDS: usize = 999_999;

/// What follows each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnding {
    /// CR LF after every record (122 bytes each): what banks' downloads use and most uploads
    /// accept, and readable in an editor.
    #[default]
    CrLf,
    /// Records back to back, for a bank that wants exactly 120 bytes per record.
    None,
}

/// A total-transfer file: the requester and its account, and the transfers to make.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransferFile {
    pub header: TransferHeader,
    /// 1 to [`MAX_RECORDS`] transfers; the trailer's totals are computed from them.
    pub records: Vec<TransferRecord>,
}

/// Writes a transfer file, each record followed by CR LF.
pub fn encode(file: &TransferFile) -> Result<Vec<u8>, FileError> {
    encode_with(file, LineEnding::CrLf)
}

/// Writes a transfer file with the given line ending.
pub fn encode_with(file: &TransferFile, line_ending: LineEnding) -> Result<Vec<u8>, FileError> {
    write_file::<Transfers>(&file.header, &file.records, line_ending)
}

/// Reads a transfer file, checking every field and the trailer's totals.
pub fn parse(input: &[u8]) -> Result<TransferFile, FileError> {
    let (header, records) = read_file::<Transfers>(input)?;
    Ok(TransferFile { header, records })
}

/// What a transfer file and a result file do differently: the data record's dummy area and the
/// trailer's totals after the first pair.
trait Layout {
    type Item;
    fn transfer(item: &Self::Item) -> &TransferRecord;
    fn write_dummy(item: &Self::Item, out: &mut Writer);
    fn read_dummy(transfer: TransferRecord, record: &Reader<'_>) -> Result<Self::Item, FileError>;
    fn write_trailer(items: &[Self::Item], out: &mut Writer) -> Result<(), FileError>;
    fn check_trailer(items: &[Self::Item], record: &Reader<'_>) -> Result<(), FileError>;
}

/// The transfer file: blank dummy areas.
struct Transfers;

impl Layout for Transfers {
    type Item = TransferRecord;

    fn transfer(item: &TransferRecord) -> &TransferRecord {
        item
    }

    fn write_dummy(_: &TransferRecord, _: &mut Writer) {}

    fn read_dummy(transfer: TransferRecord, record: &Reader<'_>) -> Result<TransferRecord, FileError> {
        record.spaces(113..120, "dummy")?;
        Ok(transfer)
    }

    fn write_trailer(_: &[TransferRecord], _: &mut Writer) -> Result<(), FileError> {
        Ok(())
    }

    fn check_trailer(_: &[TransferRecord], record: &Reader<'_>) -> Result<(), FileError> {
        record.spaces(19..120, "dummy")
    }
}

fn write_file<L: Layout>(
    header: &TransferHeader,
    items: &[L::Item],
    line_ending: LineEnding,
) -> Result<Vec<u8>, FileError> {
    if items.is_empty() || items.len() > MAX_RECORDS {
        return Err(FileError::RecordCount { count: items.len(), max: MAX_RECORDS });
    }
    let stride = RECORD_LEN + line_ending.separator().len();
    let mut records = Vec::with_capacity(items.len() + 3);

    let mut out = Writer::new(b'1', Position::new(0, RecordKind::Header, stride));
    header::write(header, &mut out)?;
    records.push(out.finish());

    let mut totals = Totals::default();
    for (index, item) in items.iter().enumerate() {
        let mut out = Writer::new(b'2', Position::new(index + 1, RecordKind::Data, stride));
        let transfer = L::transfer(item);
        record::write(transfer, &mut out)?;
        L::write_dummy(item, &mut out);
        totals.add(transfer.amount_yen);
        records.push(out.finish());
    }

    let mut out = Writer::new(b'8', Position::new(items.len() + 1, RecordKind::Trailer, stride));
    trailer::write_totals(&mut out, 1, ["total_count", "total_amount"], totals)?;
    L::write_trailer(items, &mut out)?;
    records.push(out.finish());
    records.push(Writer::new(b'9', Position::new(items.len() + 2, RecordKind::End, stride)).finish());
    Ok(fields::join(&records, line_ending))
}

fn read_file<L: Layout>(input: &[u8]) -> Result<(TransferHeader, Vec<L::Item>), FileError> {
    let (raw, stride) = fields::split(input, MAX_RECORDS)?;
    let record = |index: usize, kind| Reader::new(raw[index], Position::new(index, kind, stride));
    let expect = |index: usize, data_type: u8, kind, expected: &str| match raw.get(index) {
        None => Err(FileError::Framing {
            offset: input.len(),
            expected: format!("a record of data type {expected}"),
            found: "the end of the file".to_owned(),
        }),
        Some(bytes) if bytes[0] == data_type => Ok(()),
        Some(_) => Err(record(index, kind).error(0..1, "data_type", expected)),
    };

    expect(0, b'1', RecordKind::Header, "1 (header)")?;
    let header = header::read(&record(0, RecordKind::Header))?;

    let mut items = Vec::new();
    let mut totals = Totals::default();
    let mut index = 1;
    while raw.get(index).is_some_and(|bytes| bytes[0] == b'2') {
        let data = record(index, RecordKind::Data);
        let transfer = record::read(&data)?;
        totals.add(transfer.amount_yen);
        items.push(L::read_dummy(transfer, &data)?);
        index += 1;
    }

    expect(index, b'8', RecordKind::Trailer, "2 (data) or 8 (trailer)")?;
    if items.is_empty() {
        return Err(FileError::RecordCount { count: 0, max: MAX_RECORDS });
    }
    let trailer = record(index, RecordKind::Trailer);
    trailer::check_totals(&trailer, 1, ["total_count", "total_amount"], totals)?;
    L::check_trailer(&items, &trailer)?;

    index += 1;
    expect(index, b'9', RecordKind::End, "9 (end)")?;
    trailer::check_end(&record(index, RecordKind::End))?;
    if let Some(extra) = raw.get(index + 1) {
        return Err(FileError::Framing {
            offset: (index + 1) * stride,
            expected: "the end of the file after the end record".to_owned(),
            found: format!("a record starting {}", describe(&extra[..1])),
        });
    }
    Ok((header, items))
}
