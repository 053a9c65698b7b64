//! Paying withdrawals out. Each run claims the queued withdrawals no file holds (one statement),
//! writes them as one Zengin total-transfer file (kept byte for byte, so a resend is the same
//! file and the bank, which names a file by its bytes, never pays twice), sends it, and reads the
//! bank's result: each record paid (payout clearing → bank clearing) or returned (payout
//! clearing → the wallet's money, and its user told). Each verdict is a ledger command whose
//! effect moves the withdrawal on from `sent` only, so two runs never decide one twice. A run
//! that stopped anywhere is finished by the next.

use serde_json::json;

use super::store::{self, WithdrawalFile, WithdrawalRow};
use super::{MAX_PER_FILE, Withdrawals, WithdrawalsError};
use crate::audit::{self, AuditEvent};
use crate::bank::{BankClient, BankError};
use crate::ledger::{AccountKind, Command, Currency, LedgerError, Origin, Request};
use crate::settlement::file::{FileRecord, encode_records};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// What one run did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct WithdrawalRun {
    /// Withdrawals in files sent now.
    pub sent: Vec<String>,
    pub paid: Vec<String>,
    pub returned: Vec<String>,
    /// Reviews whose hold lapsed before anyone decided.
    pub expired: Vec<String>,
    /// Files the bank has not decided yet.
    pub pending_files: Vec<String>,
}

impl Withdrawals {
    pub async fn run_payouts(&self) -> Result<WithdrawalRun, WithdrawalsError> {
        let bank = self.bank()?;
        let mut run = WithdrawalRun::default();
        let now = now_ms();
        for id in store::lapsed_reviews(&self.db, now - self.config.review_ttl_secs * 1000).await? {
            if store::expire(&self.db, &id, now).await? {
                run.expired.push(id);
            }
        }
        store::claim_queued(&self.db, &new_id("wf"), MAX_PER_FILE, now).await?;
        for file_id in store::open_file_ids(&self.db).await? {
            self.finish_file(bank, &file_id, &mut run).await?;
        }
        Ok(run)
    }

    /// The worker: until `stop`, a run every `run_interval_ms`.
    pub async fn run_worker(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let every = std::time::Duration::from_millis(self.config.run_interval_ms.max(50));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.run_payouts().await {
                        tracing::warn!(error = %e, "a withdrawal run failed; the next one picks up");
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    async fn finish_file(
        &self,
        bank: &BankClient,
        file_id: &str,
        run: &mut WithdrawalRun,
    ) -> Result<(), WithdrawalsError> {
        let rows = store::in_file(&self.db, file_id).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let file = match store::file(&self.db, file_id).await? {
            Some(f) => f,
            None => self.build_file(file_id, &rows).await?,
        };
        let bank_file_id = if file.bank_file_id.is_empty() {
            let bytes = hex::decode(&file.contents_hex).map_err(|e| protocol(e.to_string()))?;
            let accepted = bank.send_transfer_file(bytes).await.map_err(from_bank)?;
            if accepted.records != file.records as u64 || accepted.total_minor != file.total_minor {
                return Err(protocol(format!("the bank read withdrawal file {file_id} with other totals")));
            }
            let mut tx = self.db.begin_write().await?;
            store::mark_sent(&mut tx, file_id, &accepted.file_id, now_ms()).await?;
            let details =
                json!({ "bank_file_id": accepted.file_id, "records": file.records, "total_minor": file.total_minor });
            let event = AuditEvent::new("system", "withdrawals.file.sent", file_id).details(details);
            audit::append(&self.db, &mut tx, &[event]).await?;
            tx.commit().await?;
            run.sent.extend(rows.iter().map(|r| r.id.clone()));
            accepted.file_id
        } else {
            file.bank_file_id
        };
        let Some(result) = bank.transfer_result(&bank_file_id).await.map_err(from_bank)? else {
            run.pending_files.push(file_id.to_owned());
            return Ok(());
        };
        if result.records.len() != rows.len() {
            return Err(protocol(format!("the result of {file_id} has another number of records")));
        }
        // Rows as they stand now: a row read before the file was marked sent reads sent now.
        let rows = store::in_file(&self.db, file_id).await?;
        for (row, record) in rows.iter().zip(&result.records) {
            let t = &record.transfer;
            let same = t.account_number == row.account_number
                && t.bank_code == row.bank_code
                && t.branch_code == row.branch_code
                && i64::try_from(t.amount_yen).ok() == Some(row.amount_minor);
            if !same {
                return Err(protocol(format!("the result of {file_id} does not match withdrawal {}", row.id)));
            }
            if row.status == "sent" && self.decide(row, record.result).await? {
                if record.result.is_paid() { run.paid.push(row.id.clone()) } else { run.returned.push(row.id.clone()) }
            }
        }
        store::mark_decided(&self.db, file_id, now_ms()).await?;
        Ok(())
    }

    async fn build_file(&self, file_id: &str, rows: &[WithdrawalRow]) -> Result<WithdrawalFile, WithdrawalsError> {
        let day = crate::settlement::BusinessDay::containing(now_ms(), crate::settlement::Cutoff::MIDNIGHT);
        let date = format!("{:02}{:02}", day.month(), day.day());
        let records: Vec<FileRecord<'_>> = rows
            .iter()
            .map(|r| FileRecord {
                id: &r.id,
                bank_code: &r.bank_code,
                branch_code: &r.branch_code,
                account_type: &r.account_type,
                account_number: &r.account_number,
                holder_name: &r.holder_name,
                amount_minor: r.amount_minor,
            })
            .collect();
        let bytes = encode_records(&self.config.requester, &date, &records)
            .map_err(|e| protocol(format!("cannot write the withdrawal file: {e}")))?;
        let file = WithdrawalFile {
            id: file_id.to_owned(),
            contents_hex: hex::encode(&bytes),
            records: rows.len() as i64,
            total_minor: rows.iter().map(|r| r.amount_minor).sum(),
            bank_file_id: String::new(),
        };
        let mut tx = self.db.begin_write().await?;
        store::insert_file(&mut tx, &file, now_ms()).await?;
        let details = json!({ "records": file.records, "total_minor": file.total_minor });
        audit::append(
            &self.db,
            &mut tx,
            &[AuditEvent::new("system", "withdrawals.file.built", file_id).details(details)],
        )
        .await?;
        tx.commit().await?;
        store::file(&self.db, file_id).await?.ok_or(WithdrawalsError::NotFound)
    }

    /// Paid: out of payout clearing to the bank. Returned: back to the wallet's money (whatever
    /// its cap: it was the user's), and the user told. False if another run decided it first.
    async fn decide(&self, row: &WithdrawalRow, result: zengin::TransferResult) -> Result<bool, WithdrawalsError> {
        let jpy = Currency::jpy();
        let clearing = self.ledger.system_account(AccountKind::PayoutClearing, &jpy).await?;
        let code = i64::from(result.code());
        let (key, to, status, message) = if result.is_paid() {
            let bank = self.ledger.system_account(AccountKind::BankClearing, &jpy).await?;
            (format!("withdrawal-paid:{}", row.id), bank, "paid", "withdrawal-paid")
        } else {
            let money = self.wallets.accounts(&row.user_id).await?.money;
            (format!("withdrawal-returned:{}", row.id), money, "returned", "withdrawal-returned")
        };
        let mut notify = Vec::new();
        if let Some((email, locale)) = store::contact(&self.db, &row.user_id).await? {
            let amount = crate::i18n::yen(row.amount_minor);
            notify.push(crate::i18n::email(&email, &locale, message, &[("amount", amount.as_str().into())]));
        }
        let mut command =
            Command::transfer(key, &clearing, &to, &jpy, row.amount_minor, &format!("withdrawal_{status}"));
        if let Command::Post { description, .. } = &mut command {
            *description = format!("{} {code}", row.id);
        }
        let request = Request {
            command,
            origin: Origin { actor: "system".into(), request_id: row.id.clone() },
            notify,
            effects: vec![store::settle(&row.id, status, code, now_ms())],
        };
        match self.ledger.submit(request).await {
            Ok(receipt) => Ok(!receipt.replayed),
            Err(LedgerError::EffectRefused(_) | LedgerError::IdempotencyConflict(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

fn protocol(message: String) -> WithdrawalsError {
    WithdrawalsError::Identity(crate::identity::IdentityError::Internal(message))
}

fn from_bank(e: BankError) -> WithdrawalsError {
    tracing::warn!(error = %e, "the bank could not take or answer a withdrawal file");
    WithdrawalsError::BankUnavailable
}
