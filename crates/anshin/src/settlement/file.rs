//! The Zengin total-transfer file of a set of payouts (pure): one data record per payout, in
//! payout id order, names already in Zengin form and checked again by `zengin::holder_name`.
//! Withdrawals to wallet users' accounts are written by the same function (`encode_records`).

use super::Requester;
use super::store::Payout;

/// One credit in a transfer file.
#[derive(Debug, Clone)]
pub struct FileRecord<'a> {
    /// What the record pays (a payout's or a withdrawal's id), for error messages.
    pub id: &'a str,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_type: &'a str,
    pub account_number: &'a str,
    pub holder_name: &'a str,
    pub amount_minor: i64,
}

pub fn encode(requester: &Requester, payouts: &[(Payout, String)]) -> Result<Vec<u8>, String> {
    let Some((_, date)) = payouts.first() else {
        return Err("a transfer file needs at least one payout".into());
    };
    let records: Vec<FileRecord<'_>> = payouts
        .iter()
        .map(|(p, _)| FileRecord {
            id: &p.id,
            bank_code: &p.bank_code,
            branch_code: &p.branch_code,
            account_type: &p.account_type,
            account_number: &p.account_number,
            holder_name: &p.holder_name,
            amount_minor: p.amount_minor,
        })
        .collect();
    encode_records(requester, date, &records)
}

/// The file crediting `records` on `date` (MMDD).
pub fn encode_records(requester: &Requester, date: &str, records: &[FileRecord<'_>]) -> Result<Vec<u8>, String> {
    if records.is_empty() {
        return Err("a transfer file needs at least one record".into());
    }
    let (month, day) = (date.get(..2).and_then(|m| m.parse().ok()), date.get(2..).and_then(|d| d.parse().ok()));
    let transfer_date = month
        .zip(day)
        .and_then(|(m, d)| zengin::TransferDate::new(m, d))
        .ok_or_else(|| format!("transfer date {date:?}"))?;
    let bank = zengin::bank(&requester.bank_code).ok_or("the requester's bank is unknown")?;
    let branch =
        zengin::branch(&requester.bank_code, &requester.branch_code).ok_or("the requester's branch is unknown")?;
    let header = zengin::TransferHeader {
        requester_code: requester.code.clone(),
        requester_name: zengin::requester_name(&requester.name).map_err(|e| e.to_string())?,
        transfer_date,
        bank_code: bank.code.into(),
        bank_name: fit(bank.kana, 15),
        branch_code: branch.code.into(),
        branch_name: fit(branch.kana, 15),
        account_type: zengin::AccountType::Ordinary,
        account_number: requester.account_number.clone(),
    };
    let records = records.iter().map(record).collect::<Result<Vec<_>, String>>()?;
    zengin::encode(&zengin::TransferFile { header, records }).map_err(|e| e.to_string())
}

fn record(p: &FileRecord<'_>) -> Result<zengin::TransferRecord, String> {
    let bank = zengin::bank(p.bank_code).ok_or_else(|| format!("{}: unknown bank", p.id))?;
    let branch = zengin::branch(p.bank_code, p.branch_code).ok_or_else(|| format!("{}: unknown branch", p.id))?;
    let account_type = match p.account_type {
        "ordinary" => zengin::AccountType::Ordinary,
        "current" => zengin::AccountType::Current,
        "savings" => zengin::AccountType::Savings,
        other => return Err(format!("{}: account type {other:?}", p.id)),
    };
    Ok(zengin::TransferRecord {
        bank_code: bank.code.into(),
        bank_name: fit(bank.kana, 15),
        branch_code: branch.code.into(),
        branch_name: fit(branch.kana, 15),
        clearing_house: String::new(),
        account_type,
        account_number: p.account_number.to_owned(),
        recipient_name: zengin::holder_name(p.holder_name).map_err(|e| format!("{}: {e}", p.id))?,
        amount_yen: u64::try_from(p.amount_minor).map_err(|_| format!("{}: negative amount", p.id))?,
        new_code: zengin::NewCode::Other,
        customer: zengin::CustomerReference::None,
        designation: None,
    })
}

/// Bank and branch names are optional in the file and 15 characters wide; a longer one is cut,
/// and one with a character outside the Zengin set is left blank (the codes are what the bank
/// routes by).
fn fit(kana: &str, width: usize) -> String {
    if !kana.chars().all(zengin::is_zengin_char) {
        return String::new();
    }
    kana.chars().take(width).collect::<String>().trim().to_owned()
}
