//! Payouts: each settled day with a positive net becomes a payout; a payout goes to the
//! merchant's payout account in a Zengin total-transfer file sent to the bank, and the bank's
//! result file marks it paid or returned.
//!
//! ```text
//! joining a file:  merchant payable −amount → payout clearing +amount
//! paid:            payout clearing −amount → bank clearing +amount
//! returned:        payout clearing −amount → merchant payable +amount   (owners told)
//! ```
//!
//! A payout is held, and stays in the payable, while the merchant is not active, has no payout
//! account payouts may use (its holder name matched the legal name, or an admin approved it), or
//! the holder name no longer matches the legal name; every run looks at held payouts again.
//!
//! Each step is a journal whose effect moves the payout's status on only from the status it
//! expects, so two runs never put a payout in two files or decide it twice. A file's bytes follow
//! from its payouts, and the bank names a file by its bytes, so a run that stopped between
//! claiming payouts and hearing back from the bank is finished by the next one.

use serde_json::json;

use super::store::{self, Claim, Payout, PayoutFile};
use super::{MAX_PAYOUTS_PER_FILE, SettlementError, Settlements};
use crate::audit::{self, AuditEvent};
use crate::bank::BankClient;
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Posting, Request};
use crate::merchants::MerchantStatus;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// A file another run was filling is finished by this run once nothing has joined it for this
/// long (that run stopped half-way).
const ABANDONED_FILE_SECS: i64 = 300;

/// What one payout run did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PayoutRun {
    /// Payouts put into a file and sent now.
    pub sent: Vec<String>,
    /// Payouts held, with why.
    pub held: Vec<HeldPayout>,
    pub paid: Vec<String>,
    pub returned: Vec<String>,
    /// Files the bank has not decided yet (a later run reads their results).
    pub pending_files: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct HeldPayout {
    pub payout_id: String,
    pub merchant_id: String,
    pub reason: String,
}

/// Where a payout may go, or why it may not.
struct Destination {
    account_id: String,
    bank_code: String,
    branch_code: String,
    account_type: String,
    account_number: String,
    holder_name: String,
}

impl Settlements {
    /// Make payouts of new settlements, send those that may go, and read the bank's results.
    pub async fn run_payouts(&self, actor: &str) -> Result<PayoutRun, SettlementError> {
        let bank = self.bank.as_ref().ok_or_else(|| SettlementError::Bank("no bank is configured".into()))?;
        let mut run = PayoutRun::default();
        self.create_payouts(actor).await?;
        let file_id = new_id("pf");
        let transfer_date = crate::settlement::BusinessDay::containing(now_ms(), super::Cutoff::MIDNIGHT);
        let transfer_date = format!("{:02}{:02}", transfer_date.month(), transfer_date.day());
        for p in store::held_payouts(&self.db, MAX_PAYOUTS_PER_FILE).await? {
            match self.destination(&p.merchant_id).await? {
                Err(reason) => {
                    if store::set_held_reason(&self.db, &p.id, reason, now_ms()).await? {
                        self.audit(actor, "settlement.payout.held", &p.id, json!({ "reason": reason })).await?;
                    }
                    run.held.push(HeldPayout { payout_id: p.id, merchant_id: p.merchant_id, reason: reason.into() });
                }
                Ok(d) => {
                    if self.claim(&p, &d, &file_id, &transfer_date, actor).await? {
                        run.sent.push(p.id);
                    }
                }
            }
        }
        let stale_before_ms = now_ms() - ABANDONED_FILE_SECS * 1000;
        for open in store::open_file_ids(&self.db, &file_id, stale_before_ms).await? {
            self.finish_file(bank, &open, actor, &mut run).await?;
        }
        Ok(run)
    }

    /// A held payout for every settled day with a positive net that has none.
    async fn create_payouts(&self, actor: &str) -> Result<(), SettlementError> {
        for s in store::settlements_without_payout(&self.db, MAX_PAYOUTS_PER_FILE).await? {
            let id = new_id("po");
            let mut tx = self.db.begin_write().await?;
            if store::insert_payout(&mut tx, &id, &s, now_ms()).await? {
                let details = json!({ "merchant": s.merchant_id, "settlement": s.id, "amount_minor": s.net_minor });
                audit::append(
                    &self.db,
                    &mut tx,
                    &[AuditEvent::new(actor, "settlement.payout.created", &id).details(details)],
                )
                .await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// The account a payout of `merchant_id` may go to now, or why none may.
    async fn destination(&self, merchant_id: &str) -> Result<Result<Destination, &'static str>, SettlementError> {
        let Some(m) = crate::merchants::store::merchant_by_id(&self.db, merchant_id).await? else {
            return Ok(Err("merchant_not_found"));
        };
        if m.status != MerchantStatus::Active {
            return Ok(Err("merchant_not_active"));
        }
        let Some(account) = self.merchants.payout_destination(merchant_id).await? else {
            return Ok(Err("no_payout_account"));
        };
        // Checked when the account was set; checked again here, since the legal name may have
        // changed since. An account an admin approved after review is the admin's decision.
        let matches = zengin::names_match(&account.holder_name, &m.legal_name_kana).is_exact();
        if account.name_check == "exact" && !matches {
            return Ok(Err("holder_name_mismatch"));
        }
        if zengin::holder_name(&account.holder_name).is_err() {
            return Ok(Err("holder_name_invalid"));
        }
        Ok(Ok(Destination {
            account_id: account.id,
            bank_code: account.bank_code,
            branch_code: account.branch_code,
            account_type: account.account_type,
            account_number: account.account_number,
            holder_name: account.holder_name,
        }))
    }

    /// Put a held payout into `file_id`, moving its money from the payable to payout clearing;
    /// false if another run took it first.
    async fn claim(
        &self,
        p: &Payout,
        d: &Destination,
        file_id: &str,
        transfer_date: &str,
        actor: &str,
    ) -> Result<bool, SettlementError> {
        let jpy = Currency::jpy();
        let payable = self.payable_account(&p.merchant_id).await?;
        let clearing = self.ledger.system_account(AccountKind::PayoutClearing, &jpy).await?;
        let claim = Claim {
            payout_id: &p.id,
            file_id,
            transfer_date,
            bank_code: &d.bank_code,
            branch_code: &d.branch_code,
            account_type: &d.account_type,
            account_number: &d.account_number,
            holder_name: &d.holder_name,
            payout_account_id: &d.account_id,
            now_ms: now_ms(),
        };
        let request = Request {
            command: Command::Post {
                key: format!("payout:{}", p.id),
                kind: "payout".into(),
                description: format!("{} {} {}", p.id, p.settlement_id, p.amount_minor),
                postings: transfer(&payable, &clearing, p.amount_minor),
            },
            origin: Origin { actor: actor.to_owned(), request_id: String::new() },
            notify: Vec::new(),
            effects: vec![store::claim_payout(&claim)],
        };
        match self.ledger.submit(request).await {
            Ok(receipt) => Ok(!receipt.replayed),
            Err(LedgerError::EffectRefused(_) | LedgerError::IdempotencyConflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Build (if need be), send (if not yet accepted) and read back one file.
    async fn finish_file(
        &self,
        bank: &BankClient,
        file_id: &str,
        actor: &str,
        run: &mut PayoutRun,
    ) -> Result<(), SettlementError> {
        let payouts = store::payouts_in_file(&self.db, file_id).await?;
        if payouts.is_empty() {
            return Ok(());
        }
        let file = match store::payout_file(&self.db, file_id).await? {
            Some(f) => f,
            None => self.build_file(file_id, &payouts, actor).await?,
        };
        let bank_file_id = if file.bank_file_id.is_empty() {
            let bytes = hex::decode(&file.contents_hex).map_err(|e| SettlementError::Bank(e.to_string()))?;
            let accepted = bank.send_transfer_file(bytes).await?;
            if accepted.records != file.records as u64 || accepted.total_minor != file.total_minor {
                return Err(SettlementError::Bank(format!("the bank read file {file_id} with other totals")));
            }
            let mut tx = self.db.begin_write().await?;
            store::mark_file(&mut tx, file_id, "sent", &accepted.file_id, now_ms()).await?;
            let details =
                json!({ "bank_file_id": accepted.file_id, "records": file.records, "total_minor": file.total_minor });
            audit::append(
                &self.db,
                &mut tx,
                &[AuditEvent::new(actor, "settlement.payout_file.sent", file_id).details(details)],
            )
            .await?;
            tx.commit().await?;
            accepted.file_id
        } else {
            file.bank_file_id
        };
        let Some(result) = bank.transfer_result(&bank_file_id).await? else {
            run.pending_files.push(file_id.to_owned());
            return Ok(());
        };
        if result.records.len() != payouts.len() {
            return Err(SettlementError::Bank(format!("the result of {file_id} has another number of records")));
        }
        for ((p, _), record) in payouts.iter().zip(&result.records) {
            let t = &record.transfer;
            let same = t.account_number == p.account_number
                && t.bank_code == p.bank_code
                && t.branch_code == p.branch_code
                && i64::try_from(t.amount_yen).ok() == Some(p.amount_minor);
            if !same {
                return Err(SettlementError::Bank(format!("the result of {file_id} does not match payout {}", p.id)));
            }
            if p.status != "sent" {
                continue;
            }
            if self.decide(p, record.result, actor).await? {
                if record.result.is_paid() { run.paid.push(p.id.clone()) } else { run.returned.push(p.id.clone()) }
            }
        }
        let mut tx = self.db.begin_write().await?;
        store::mark_file(&mut tx, file_id, "decided", &bank_file_id, now_ms()).await?;
        audit::append(&self.db, &mut tx, &[AuditEvent::new(actor, "settlement.payout_file.decided", file_id)]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The transfer file of `payouts` (in id order), kept so a resend is byte for byte the same.
    async fn build_file(
        &self,
        file_id: &str,
        payouts: &[(Payout, String)],
        actor: &str,
    ) -> Result<PayoutFile, SettlementError> {
        let bytes = super::file::encode(&self.config.requester, payouts)
            .map_err(|e| SettlementError::Bank(format!("cannot write the transfer file: {e}")))?;
        let file = PayoutFile {
            id: file_id.to_owned(),
            bank_file_id: String::new(),
            contents_hex: hex::encode(&bytes),
            records: payouts.len() as i64,
            total_minor: payouts.iter().map(|(p, _)| p.amount_minor).sum(),
            status: "built".into(),
        };
        let mut tx = self.db.begin_write().await?;
        store::insert_payout_file(&mut tx, &file, now_ms()).await?;
        let details = json!({ "records": file.records, "total_minor": file.total_minor });
        audit::append(
            &self.db,
            &mut tx,
            &[AuditEvent::new(actor, "settlement.payout_file.built", file_id).details(details)],
        )
        .await?;
        tx.commit().await?;
        // A racing builder's row (the same bytes) is the one kept.
        store::payout_file(&self.db, file_id).await?.ok_or(SettlementError::NotFound)
    }

    /// Paid: out of payout clearing to the bank. Returned: back to the merchant's payable, and
    /// its owners told. False if another run decided it first.
    async fn decide(&self, p: &Payout, result: zengin::TransferResult, actor: &str) -> Result<bool, SettlementError> {
        let jpy = Currency::jpy();
        let clearing = self.ledger.system_account(AccountKind::PayoutClearing, &jpy).await?;
        let code = i64::from(result.code());
        let (key, to, status, notify) = if result.is_paid() {
            let bank = self.ledger.system_account(AccountKind::BankClearing, &jpy).await?;
            (format!("payout-paid:{}", p.id), bank, "paid", Vec::new())
        } else {
            let payable = self.payable_account(&p.merchant_id).await?;
            (format!("payout-returned:{}", p.id), payable, "returned", self.returned_notices(p).await?)
        };
        let request = Request {
            command: Command::Post {
                key,
                kind: format!("payout_{status}"),
                description: format!("{} {} {}", p.id, p.settlement_id, code),
                postings: transfer(&clearing, &to, p.amount_minor),
            },
            origin: Origin { actor: actor.to_owned(), request_id: String::new() },
            notify,
            effects: vec![store::decide_payout(&p.id, status, code, now_ms())],
        };
        match self.ledger.submit(request).await {
            Ok(receipt) => Ok(!receipt.replayed),
            Err(LedgerError::EffectRefused(_) | LedgerError::IdempotencyConflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Every owner and the merchant's contact address hear that a payout came back.
    async fn returned_notices(&self, p: &Payout) -> Result<Vec<crate::notify::OutboxMessage>, SettlementError> {
        let m = crate::merchants::store::merchant_by_id(&self.db, &p.merchant_id)
            .await?
            .ok_or(SettlementError::NotFound)?;
        let staff = crate::merchants::store::staff_of(&self.db, &p.merchant_id).await?;
        let mut to: Vec<String> = staff.into_iter().filter(|s| s.role == "owner").map(|s| s.email).collect();
        to.push(m.contact_email.clone());
        to.sort();
        to.dedup();
        let amount = crate::i18n::yen(p.amount_minor);
        let last3 = p.account_number.get(4..).unwrap_or_default().to_owned();
        let when = crate::i18n::tokyo_date_time(now_ms(), crate::i18n::Locale::Ja);
        let args = [
            ("merchant", m.legal_name.as_str().into()),
            ("amount", amount.as_str().into()),
            ("last3", last3.as_str().into()),
            ("when", when.as_str().into()),
        ];
        Ok(to.iter().map(|r| crate::i18n::email(r, "ja", "payout-returned", &args)).collect())
    }

    async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), SettlementError> {
        let mut tx = self.db.begin_write().await?;
        audit::append(&self.db, &mut tx, &[AuditEvent::new(actor, action, target).details(details)]).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn transfer(from: &str, to: &str, amount_minor: i64) -> Vec<Posting> {
    let jpy = Currency::jpy();
    vec![
        Posting { account_id: from.to_owned(), currency: jpy.clone(), amount_minor: -amount_minor },
        Posting { account_id: to.to_owned(), currency: jpy, amount_minor },
    ]
}
