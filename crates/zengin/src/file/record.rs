//! The data record (データ区分 2): one transfer to one account.
//!
//! | bytes   | field                 | Zengin name          | kind  |
//! |---------|-----------------------|----------------------|-------|
//! | 0       | data type `2`         | データ区分           | N(1)  |
//! | 1..5    | bank_code             | 被仕向銀行番号       | N(4)  |
//! | 5..20   | bank_name             | 被仕向銀行名         | C(15) |
//! | 20..23  | branch_code           | 被仕向支店番号       | N(3)  |
//! | 23..38  | branch_name           | 被仕向支店名         | C(15) |
//! | 38..42  | clearing_house        | 手形交換所番号       | N(4)  |
//! | 42      | account_type          | 預金種目             | N(1)  |
//! | 43..50  | account_number        | 口座番号             | N(7)  |
//! | 50..80  | recipient_name        | 受取人名             | C(30) |
//! | 80..90  | amount_yen            | 振込金額             | N(10) |
//! | 90      | new_code              | 新規コード           | N(1)  |
//! | 91..101 | customer code1        | 顧客コード1          | N(10) |
//! | 101..111| customer code2        | 顧客コード2          | N(10) |
//! | 91..111 | customer EDI (if `Y`) | EDI情報              | C(20) |
//! | 111     | designation           | 振込指定区分         | N(1)  |
//! | 112     | `Y` for EDI, else ` ` | 識別表示             | C(1)  |
//! | 113..120| dummy                 | ダミー               | C(7)  |
//!
//! The dummy area is left to the caller: a transfer file keeps it blank, a result file puts its
//! result code in its first byte.

use super::fields::{Reader, Writer};
use super::header::name;
use super::types::{AccountType, CustomerReference, Designation, NewCode};
use crate::error::FileError;
use crate::names::HolderName;

/// 振込金額 is ten digits; a transfer of nothing is refused as a mistake.
pub const MAX_AMOUNT_YEN: u64 = 9_999_999_999;

const EDI_MARK: u8 = b'Y';

/// One transfer: the recipient's account, name and the amount.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransferRecord {
    /// 被仕向銀行番号: four digits.
    pub bank_code: String,
    /// 被仕向銀行名: up to 15 Zengin characters, or empty ([`crate::Bank::kana`] fits).
    pub bank_name: String,
    /// 被仕向支店番号: three digits.
    pub branch_code: String,
    /// 被仕向支店名: up to 15 Zengin characters, or empty.
    pub branch_name: String,
    /// 手形交換所番号: unused by most banks; empty (blank) or four digits.
    pub clearing_house: String,
    /// 預金種目.
    pub account_type: AccountType,
    /// 口座番号: seven digits.
    pub account_number: String,
    /// 受取人名: at most 30 characters, from [`crate::holder_name`].
    pub recipient_name: HolderName,
    /// 振込金額: 1 to [`MAX_AMOUNT_YEN`].
    pub amount_yen: u64,
    /// 新規コード.
    pub new_code: NewCode,
    /// 顧客コード1/2 or EDI情報, with 識別表示 following from it.
    pub customer: CustomerReference,
    /// 振込指定区分; `None` leaves it blank.
    pub designation: Option<Designation>,
}

pub(crate) fn write(record: &TransferRecord, out: &mut Writer) -> Result<(), FileError> {
    out.digits(1..5, "bank_code", &record.bank_code)?;
    out.text(5..20, "bank_name", &record.bank_name)?;
    out.digits(20..23, "branch_code", &record.branch_code)?;
    out.text(23..38, "branch_name", &record.branch_name)?;
    out.optional_digits(38..42, "clearing_house", &record.clearing_house)?;
    out.digit(42, record.account_type.code());
    out.digits(43..50, "account_number", &record.account_number)?;
    // The field is 30 wide, so a 40-character requester-style name is refused here.
    out.text(50..80, "recipient_name", record.recipient_name.as_str())?;
    if !(1..=MAX_AMOUNT_YEN).contains(&record.amount_yen) {
        return Err(out.error(80, "amount_yen", "1 to 9999999999 yen", record.amount_yen.to_string()));
    }
    out.number(80..90, "amount_yen", record.amount_yen)?;
    out.digit(90, record.new_code.code());
    write_customer(&record.customer, out)?;
    if let Some(designation) = record.designation {
        out.digit(111, designation.code());
    }
    Ok(())
}

fn write_customer(customer: &CustomerReference, out: &mut Writer) -> Result<(), FileError> {
    match customer {
        CustomerReference::None => Ok(()),
        CustomerReference::Codes { code1, code2 } => {
            if code1.is_empty() && code2.is_empty() {
                // Blank codes read back as `None`; refusing keeps one value per byte string.
                return Err(out.error(91, "customer", "a code (or CustomerReference::None)", "two empty codes"));
            }
            out.optional_digits(91..101, "customer_code1", code1)?;
            out.optional_digits(101..111, "customer_code2", code2)
        }
        CustomerReference::Edi(text) => {
            if text.is_empty() {
                return Err(out.error(91, "customer_edi", "1 to 20 Zengin characters", "\"\""));
            }
            out.text(91..111, "customer_edi", text)?;
            out.byte(112, EDI_MARK);
            Ok(())
        }
    }
}

pub(crate) fn read(record: &Reader<'_>) -> Result<TransferRecord, FileError> {
    let account_type = AccountType::from_code(record.digit(42, "account_type", "1, 2, 4 or 9")?)
        .ok_or_else(|| record.error(42..43, "account_type", "1 (ordinary), 2 (current), 4 (savings) or 9 (other)"))?;
    let amount_yen = record.number(80..90, "amount_yen")?;
    if amount_yen == 0 {
        return Err(record.error(80..90, "amount_yen", "1 to 9999999999 yen"));
    }
    let new_code = NewCode::from_code(record.digit(90, "new_code", "0, 1 or 2")?)
        .ok_or_else(|| record.error(90..91, "new_code", "0 (other), 1 (first transfer) or 2 (changed)"))?;
    let designation = match record.byte(111) {
        b' ' => None,
        _ => Some(
            Designation::from_code(record.digit(111, "designation", "7, 8 or blank")?)
                .ok_or_else(|| record.error(111..112, "designation", "7 (telegraphic), 8 (document) or blank"))?,
        ),
    };
    Ok(TransferRecord {
        bank_code: record.digits(1..5, "bank_code")?,
        bank_name: record.text(5..20, "bank_name")?,
        branch_code: record.digits(20..23, "branch_code")?,
        branch_name: record.text(23..38, "branch_name")?,
        clearing_house: record.optional_digits(38..42, "clearing_house")?,
        account_type,
        account_number: record.digits(43..50, "account_number")?,
        recipient_name: name(record, 50..80, "recipient_name")?,
        amount_yen,
        new_code,
        customer: read_customer(record)?,
        designation,
    })
}

fn read_customer(record: &Reader<'_>) -> Result<CustomerReference, FileError> {
    match record.byte(112) {
        EDI_MARK => {
            let text = record.text(91..111, "customer_edi")?;
            if text.is_empty() {
                return Err(record.error(91..111, "customer_edi", "EDI text, as the identification is Y"));
            }
            Ok(CustomerReference::Edi(text))
        }
        b' ' => {
            let code1 = record.optional_digits(91..101, "customer_code1")?;
            let code2 = record.optional_digits(101..111, "customer_code2")?;
            Ok(if code1.is_empty() && code2.is_empty() {
                CustomerReference::None
            } else {
                CustomerReference::Codes { code1, code2 }
            })
        }
        _ => Err(record.error(112..113, "identification", "Y (EDI) or blank")),
    }
}
