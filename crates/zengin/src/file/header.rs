//! The header record (データ区分 1): who sends the transfers, from which account, on which day.
//!
//! | bytes   | field            | Zengin name      | kind |
//! |---------|------------------|------------------|------|
//! | 0       | data type `1`    | データ区分       | N(1) |
//! | 1..3    | kind code `21`   | 種別コード       | N(2) |
//! | 3       | code division `0`| コード区分       | N(1) |
//! | 4..14   | requester_code   | 振込依頼人コード | N(10)|
//! | 14..54  | requester_name   | 振込依頼人名     | C(40)|
//! | 54..58  | transfer_date    | 振込指定日 MMDD  | N(4) |
//! | 58..62  | bank_code        | 仕向銀行番号     | N(4) |
//! | 62..77  | bank_name        | 仕向銀行名       | C(15)|
//! | 77..80  | branch_code      | 仕向支店番号     | N(3) |
//! | 80..95  | branch_name      | 仕向支店名       | C(15)|
//! | 95      | account_type     | 預金種目         | N(1) |
//! | 96..103 | account_number   | 口座番号         | N(7) |
//! | 103..120| dummy            | ダミー           | C(17)|

use super::fields::{Reader, Writer};
use super::types::{AccountType, TransferDate};
use crate::error::FileError;
use crate::names::HolderName;

/// 種別コード of 総合振込 (general transfers); 11/12 (salary, bonus) are not handled here.
const KIND_GENERAL_TRANSFER: &[u8; 2] = b"21";

/// コード区分 0: JIS, the only character code this crate writes (1 would be EBCDIC).
const CODE_DIVISION_JIS: u8 = b'0';

/// The header record: the requester, its account and the transfer day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransferHeader {
    /// 振込依頼人コード: ten digits the requester's bank assigned.
    pub requester_code: String,
    /// 振込依頼人名: at most 40 characters ([`crate::requester_name`]).
    pub requester_name: HolderName,
    /// 振込指定日.
    pub transfer_date: TransferDate,
    /// 仕向銀行番号: four digits.
    pub bank_code: String,
    /// 仕向銀行名: up to 15 Zengin characters, or empty.
    pub bank_name: String,
    /// 仕向支店番号: three digits.
    pub branch_code: String,
    /// 仕向支店名: up to 15 Zengin characters, or empty.
    pub branch_name: String,
    /// 預金種目: ordinary, current or other (savings is refused here).
    pub account_type: AccountType,
    /// 口座番号: seven digits.
    pub account_number: String,
}

pub(crate) fn write(header: &TransferHeader, out: &mut Writer) -> Result<(), FileError> {
    out.byte(1, KIND_GENERAL_TRANSFER[0]);
    out.byte(2, KIND_GENERAL_TRANSFER[1]);
    out.byte(3, CODE_DIVISION_JIS);
    out.digits(4..14, "requester_code", &header.requester_code)?;
    out.text(14..54, "requester_name", header.requester_name.as_str())?;
    out.number(54..56, "transfer_date", header.transfer_date.month().into())?;
    out.number(56..58, "transfer_date", header.transfer_date.day().into())?;
    out.digits(58..62, "bank_code", &header.bank_code)?;
    out.text(62..77, "bank_name", &header.bank_name)?;
    out.digits(77..80, "branch_code", &header.branch_code)?;
    out.text(80..95, "branch_name", &header.branch_name)?;
    if header.account_type == AccountType::Savings {
        return Err(out.error(95, "account_type", "1 (ordinary), 2 (current) or 9 (other)", "4 (savings)"));
    }
    out.digit(95, header.account_type.code());
    out.digits(96..103, "account_number", &header.account_number)
}

pub(crate) fn read(record: &Reader<'_>) -> Result<TransferHeader, FileError> {
    if record.digits(1..3, "kind_code")?.as_bytes() != KIND_GENERAL_TRANSFER {
        return Err(record.error(1..3, "kind_code", "21 (総合振込)"));
    }
    if record.byte(3) != CODE_DIVISION_JIS {
        return Err(record.error(3..4, "code_division", "0 (JIS)"));
    }
    let month = record.number(54..56, "transfer_date")?;
    let day = record.number(56..58, "transfer_date")?;
    let transfer_date = u8::try_from(month)
        .ok()
        .zip(u8::try_from(day).ok())
        .and_then(|(month, day)| TransferDate::new(month, day))
        .ok_or_else(|| record.error(54..58, "transfer_date", "a day of the year as MMDD"))?;
    let account_type = AccountType::from_code(record.digit(95, "account_type", "1, 2 or 9")?)
        .filter(|kind| *kind != AccountType::Savings)
        .ok_or_else(|| record.error(95..96, "account_type", "1 (ordinary), 2 (current) or 9 (other)"))?;
    let header = TransferHeader {
        requester_code: record.digits(4..14, "requester_code")?,
        requester_name: name(record, 14..54, "requester_name")?,
        transfer_date,
        bank_code: record.digits(58..62, "bank_code")?,
        bank_name: record.text(62..77, "bank_name")?,
        branch_code: record.digits(77..80, "branch_code")?,
        branch_name: record.text(80..95, "branch_name")?,
        account_type,
        account_number: record.digits(96..103, "account_number")?,
    };
    record.spaces(103..120, "dummy")?;
    Ok(header)
}

/// A name field: Zengin text that must not be blank.
pub(crate) fn name(
    record: &Reader<'_>,
    at: std::ops::Range<usize>,
    field: &'static str,
) -> Result<HolderName, FileError> {
    let text = record.text(at.clone(), field)?;
    HolderName::from_zengin(&text).ok_or_else(|| record.error(at, field, "a name in Zengin characters"))
}
