//! The small coded fields of a transfer file, as types that only hold what the layout allows.

use std::fmt;

/// 振込指定日: the transfer day as month and day (the file carries no year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransferDate {
    month: u8,
    day: u8,
}

impl TransferDate {
    /// `None` unless the day exists in that month; 29 February is allowed because the year is not
    /// known here.
    pub fn new(month: u8, day: u8) -> Option<Self> {
        let last_day = match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => return None,
        };
        (1..=last_day).contains(&day).then_some(Self { month, day })
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }
}

impl fmt::Display for TransferDate {
    /// `MMDD`, as in the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}{:02}", self.month, self.day)
    }
}

/// 預金種目: the kind of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// 1: 普通預金.
    Ordinary,
    /// 2: 当座預金.
    Current,
    /// 4: 貯蓄預金; a recipient's account only, the header does not allow it.
    Savings,
    /// 9: その他.
    Other,
}

impl AccountType {
    pub fn code(self) -> u8 {
        match self {
            Self::Ordinary => 1,
            Self::Current => 2,
            Self::Savings => 4,
            Self::Other => 9,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        [Self::Ordinary, Self::Current, Self::Savings, Self::Other].into_iter().find(|kind| kind.code() == code)
    }
}

/// 新規コード: whether this recipient is new to the requester's transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NewCode {
    /// 0: その他 (neither of the below).
    #[default]
    Other,
    /// 1: 第1回振込分, the first transfer to this recipient.
    FirstTransfer,
    /// 2: 変更分, the recipient's details changed since the last transfer.
    Changed,
}

impl NewCode {
    pub fn code(self) -> u8 {
        match self {
            Self::Other => 0,
            Self::FirstTransfer => 1,
            Self::Changed => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        [Self::Other, Self::FirstTransfer, Self::Changed].into_iter().find(|kind| kind.code() == code)
    }
}

/// 振込指定区分: how the bank sends the transfer on; blank leaves it to the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Designation {
    /// 7: 電信扱, same-day electronic transfer.
    Telegraphic,
    /// 8: 文書扱, by document.
    Document,
}

impl Designation {
    pub fn code(self) -> u8 {
        match self {
            Self::Telegraphic => 7,
            Self::Document => 8,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        [Self::Telegraphic, Self::Document].into_iter().find(|kind| kind.code() == code)
    }
}

/// What the requester attaches to a data record for its own reconciliation: 顧客コード1/2
/// (ten digits each), or 20 characters of EDI information (識別表示 `Y`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum CustomerReference {
    /// Both customer codes blank and no EDI.
    #[default]
    None,
    /// Each code is empty or ten digits; at least one is given (otherwise use `None`).
    Codes { code1: String, code2: String },
    /// 1 to 20 Zengin characters.
    Edi(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_date_must_exist_in_its_month() {
        assert_eq!(TransferDate::new(4, 25).map(|date| date.to_string()), Some("0425".to_owned()));
        assert!(TransferDate::new(2, 29).is_some());
        for (month, day) in [(0, 1), (13, 1), (1, 0), (1, 32), (2, 30), (4, 31), (11, 31)] {
            assert_eq!(TransferDate::new(month, day), None, "{month}/{day}");
        }
    }

    #[test]
    fn codes_convert_both_ways() {
        for code in 0..=10 {
            assert!(AccountType::from_code(code).is_none_or(|kind| kind.code() == code));
            assert!(NewCode::from_code(code).is_none_or(|kind| kind.code() == code));
            assert!(Designation::from_code(code).is_none_or(|kind| kind.code() == code));
        }
        assert_eq!(AccountType::from_code(3), None);
        assert_eq!(Designation::from_code(0), None);
    }
}
