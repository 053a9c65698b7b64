//! Bank and branch codes from the vendored zengin-code data set (`data/`, MIT).
//!
//! The tables are compiled in and parsed once, on first use, into slices sorted by code: a
//! lookup is a binary search and borrows every string from the binary, so nothing is copied.

use std::sync::LazyLock;

/// Where the vendored tables come from, e.g. `npm zengin-code 1.0.0-p20260824`.
pub const DATA_VERSION: &str = include_str!("../data/VERSION");

const BANKS_TSV: &str = include_str!("../data/banks.tsv");
const BRANCHES_TSV: &str = include_str!("../data/branches.tsv");

/// A financial institution (金融機関) by its four-digit Zengin code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bank {
    /// Four digits, e.g. `0001`.
    pub code: &'static str,
    /// The name as the data set writes it, usually without 銀行, e.g. `みずほ`.
    pub name: &'static str,
    /// The name in Zengin form (half-width kana, at most 15 characters), e.g. `ﾐｽﾞﾎ`.
    pub kana: &'static str,
}

/// A branch (支店) of a bank, by the bank's four-digit code and its own three-digit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Branch {
    /// The bank's four digits.
    pub bank_code: &'static str,
    /// Three digits, e.g. `001`.
    pub code: &'static str,
    /// The name as the data set writes it, e.g. `東京営業部`.
    pub name: &'static str,
    /// The name in Zengin form (half-width kana, at most 15 characters), e.g. `ﾄｳｷﾖｳ`.
    pub kana: &'static str,
}

static BANKS: LazyLock<Vec<Bank>> = LazyLock::new(|| {
    rows(BANKS_TSV)
        .map(|fields| match fields[..] {
            [code, name, kana] => Bank { code, name, kana },
            _ => panic!("banks.tsv: expected 3 fields, found {fields:?}"),
        })
        .collect()
});

static BRANCHES: LazyLock<Vec<Branch>> = LazyLock::new(|| {
    rows(BRANCHES_TSV)
        .map(|fields| match fields[..] {
            [bank_code, code, name, kana] => Branch { bank_code, code, name, kana },
            _ => panic!("branches.tsv: expected 4 fields, found {fields:?}"),
        })
        .collect()
});

fn rows(tsv: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    tsv.lines().filter(|line| !line.is_empty()).map(|line| line.split('\t').collect())
}

/// The bank with this four-digit code, or `None` for an unknown code or one that is not exactly
/// four ASCII digits.
pub fn bank(code: &str) -> Option<Bank> {
    if !is_digits(code, 4) {
        return None;
    }
    let banks = &*BANKS;
    banks.binary_search_by(|bank| bank.code.cmp(code)).ok().map(|at| banks[at])
}

/// The branch with these codes (four and three ASCII digits), or `None`.
pub fn branch(bank_code: &str, branch_code: &str) -> Option<Branch> {
    if !is_digits(bank_code, 4) || !is_digits(branch_code, 3) {
        return None;
    }
    let branches = &*BRANCHES;
    branches
        .binary_search_by(|branch| (branch.bank_code, branch.code).cmp(&(bank_code, branch_code)))
        .ok()
        .map(|at| branches[at])
}

/// Every branch of a bank, in code order; empty for an unknown bank.
pub fn branches(bank_code: &str) -> &'static [Branch] {
    if !is_digits(bank_code, 4) {
        return &[];
    }
    let branches: &'static [Branch] = &BRANCHES;
    let start = branches.partition_point(|branch| branch.bank_code < bank_code);
    let end = branches.partition_point(|branch| branch.bank_code <= bank_code);
    &branches[start..end]
}

pub(crate) fn is_digits(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kana::is_zengin_char;

    #[test]
    fn the_big_banks_and_one_branch_each_are_found() {
        let cases = [
            ("0001", "みずほ", "ﾐｽﾞﾎ", "001", "東京営業部", "ﾄｳｷﾖｳ"),
            ("0005", "三菱ＵＦＪ", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "001", "本店", "ﾎﾝﾃﾝ"),
            ("0009", "三井住友", "ﾐﾂｲｽﾐﾄﾓ", "001", "神保町", "ｼﾞﾝﾎﾞｳﾁﾖｳ"),
            ("9900", "ゆうちょ", "ﾕｳﾁﾖ", "018", "〇一八", "ｾﾞﾛｲﾁﾊﾁ"),
        ];
        for (code, name, kana, branch_code, branch_name, branch_kana) in cases {
            assert_eq!(bank(code), Some(Bank { code, name, kana }));
            let found = branch(code, branch_code).expect(branch_code);
            assert_eq!((found.name, found.kana, found.bank_code), (branch_name, branch_kana, code));
        }
    }

    #[test]
    fn unknown_and_malformed_codes_are_refused() {
        for code in ["0000", "0002", "", "1", "00001", "000１", "abcd", " 001", "0001\n"] {
            assert_eq!(bank(code), None, "{code:?}");
        }
        for (bank_code, branch_code) in
            [("0001", "002"), ("0001", "01"), ("0001", "0001"), ("0001", "0a1"), ("1", "001")]
        {
            assert_eq!(branch(bank_code, branch_code), None, "{bank_code:?} {branch_code:?}");
        }
        assert!(branches("9999").is_empty());
        assert!(branches("x").is_empty());
    }

    #[test]
    fn branches_lists_one_bank_in_code_order() {
        let all = branches("0001");
        assert!(all.len() > 100);
        assert!(all.iter().all(|branch| branch.bank_code == "0001"));
        assert!(all.windows(2).all(|pair| pair[0].code < pair[1].code));
    }

    #[test]
    fn the_vendored_tables_are_sorted_and_in_zengin_form() {
        assert!(BANKS.len() > 1000 && BRANCHES.len() > 20_000);
        assert!(BANKS.windows(2).all(|pair| pair[0].code < pair[1].code));
        assert!(BRANCHES.windows(2).all(|pair| (pair[0].bank_code, pair[0].code) < (pair[1].bank_code, pair[1].code)));
        let kana = BANKS.iter().map(|bank| bank.kana).chain(BRANCHES.iter().map(|branch| branch.kana));
        for text in kana {
            // The file's bank and branch name fields are 15 bytes wide.
            assert!(!text.is_empty() && text.chars().count() <= 15, "{text:?}");
            assert!(text.chars().all(is_zengin_char), "{text:?}");
        }
        assert!(DATA_VERSION.starts_with("npm zengin-code "));
    }
}
