//! The pure heart of the ledger: apply a batch of commands, in order, to a snapshot of the
//! accounts and holds they touch. No I/O here, so the rules can be read in one place and tested
//! by property. Each command either applies completely or not at all; a failed command leaves the
//! snapshot as it found it, so one bad command never spoils the others in its batch.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::model::*;
use crate::audit::AuditEvent;
use crate::notify::OutboxMessage;
use crate::storage::ids::new_id;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub id: String,
    pub currency: Currency,
    pub flags: AccountFlags,
    pub balance_minor: i64,
    pub pending_debit_minor: i64,
    pub pending_credit_minor: i64,
}

impl AccountState {
    fn available_minor(&self) -> i64 {
        self.balance_minor - self.pending_debit_minor
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    Pending,
    Captured,
    Voided,
    Expired,
}

impl HoldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Pending => "pending",
            HoldStatus::Captured => "captured",
            HoldStatus::Voided => "voided",
            HoldStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> HoldStatus {
        match s {
            "pending" => HoldStatus::Pending,
            "captured" => HoldStatus::Captured,
            "voided" => HoldStatus::Voided,
            _ => HoldStatus::Expired,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldState {
    pub id: String,
    pub key: String,
    pub debit_account_id: String,
    pub credit_account_id: String,
    pub currency: Currency,
    pub amount_minor: i64,
    pub captured_minor: i64,
    pub status: HoldStatus,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
    pub capture_entry_id: Option<String>,
}

/// An existing entry a batch may reverse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryState {
    pub postings: Vec<Posting>,
    pub is_reversal: bool,
    pub reversed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub outcome: Outcome,
}

/// Everything a batch may read, loaded (and locked) by the store before `apply`.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    pub accounts: HashMap<String, AccountState>,
    pub holds: HashMap<String, HoldState>,
    pub entries: HashMap<String, EntryState>,
    pub idempotency: HashMap<String, IdempotencyRecord>,
}

#[derive(Debug, Clone)]
pub struct NewEntry {
    pub id: String,
    pub kind: String,
    pub description: String,
    pub key: String,
    pub reverses_entry_id: Option<String>,
    pub hold_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPosting {
    pub entry_id: String,
    pub account_id: String,
    pub currency: Currency,
    pub amount_minor: i64,
    pub balance_after_minor: i64,
}

/// What the batch writes: appended rows, plus the ids of accounts and holds whose state changed.
#[derive(Debug, Default)]
pub struct Effects {
    pub entries: Vec<NewEntry>,
    pub postings: Vec<NewPosting>,
    pub new_hold_ids: Vec<String>,
    pub changed_hold_ids: Vec<String>,
    pub changed_account_ids: Vec<String>,
    pub idempotency: Vec<(String, String, Outcome)>,
    pub audit: Vec<AuditEvent>,
    pub outbox: Vec<OutboxMessage>,
    /// Other contexts' statements, with the index of their command in the batch and the id of
    /// what it made.
    pub domain: Vec<(usize, Vec<crate::ledger::Effect>, String)>,
}

/// Internal command used by the expiry sweep; not idempotency-keyed (expiry is a fact of time).
#[derive(Debug, Clone)]
pub enum Work {
    Request(Request),
    Expire { hold_id: String },
}

/// The request hash that guards idempotency keys: SHA-256 of the command's canonical JSON.
pub fn request_hash(command: &Command) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(command).unwrap_or_default();
    hex::encode(Sha256::digest(json))
}

/// Apply `work` in order. Returns one result per item and the effects to persist.
pub fn apply(snapshot: &mut Snapshot, work: &[Work], now_ms: i64) -> (Vec<Result<Receipt, LedgerError>>, Effects) {
    let mut fx = Effects::default();
    let mut results = Vec::with_capacity(work.len());
    for (index, item) in work.iter().enumerate() {
        let result = match item {
            Work::Request(req) => {
                let result = apply_request(snapshot, req, now_ms, &mut fx);
                if let Ok(receipt) = &result
                    && !receipt.replayed
                    && !req.effects.is_empty()
                {
                    fx.domain.push((index, req.effects.clone(), receipt.outcome.kind_and_id().1.to_owned()));
                }
                result
            }
            Work::Expire { hold_id } => {
                expire(snapshot, hold_id, now_ms, &mut fx).map(|outcome| Receipt { outcome, replayed: false })
            }
        };
        results.push(result);
    }
    fx.changed_account_ids.sort();
    fx.changed_account_ids.dedup();
    fx.changed_hold_ids.sort();
    fx.changed_hold_ids.dedup();
    (results, fx)
}

fn apply_request(snap: &mut Snapshot, req: &Request, now_ms: i64, fx: &mut Effects) -> Result<Receipt, LedgerError> {
    let key = req.command.key();
    validate_key(key)?;
    let hash = request_hash(&req.command);
    if let Some(existing) = snap.idempotency.get(key) {
        if existing.request_hash != hash {
            return Err(LedgerError::IdempotencyConflict(key.to_owned()));
        }
        return Ok(Receipt { outcome: existing.outcome.clone(), replayed: true });
    }
    let (outcome, event) = match &req.command {
        Command::Post { key, kind, description, postings } => {
            validate_kind(kind)?;
            validate_description(description)?;
            let entry_id =
                post(snap, fx, postings, NewEntryMeta { key, kind, description, reverses: None, hold: None })?;
            let event = json!({ "key": key, "kind": kind, "postings": postings_json(postings) });
            (Outcome::Entry { entry_id: entry_id.clone() }, ("ledger.entry.posted", entry_id, event))
        }
        Command::Hold { key, debit_account_id, credit_account_id, currency, amount_minor, ttl_secs } => {
            let hold_id =
                hold(snap, fx, key, debit_account_id, credit_account_id, currency, *amount_minor, *ttl_secs, now_ms)?;
            let event = json!({ "key": key, "debit": debit_account_id, "credit": credit_account_id,
                                "currency": currency, "amount_minor": amount_minor, "ttl_secs": ttl_secs });
            (Outcome::Hold { hold_id: hold_id.clone() }, ("ledger.hold.created", hold_id, event))
        }
        Command::Capture { key, hold_id, amount_minor } => {
            let entry_id = capture(snap, fx, key, hold_id, *amount_minor, now_ms)?;
            let event = json!({ "key": key, "hold_id": hold_id, "amount_minor": amount_minor, "entry_id": entry_id });
            (Outcome::Entry { entry_id }, ("ledger.hold.captured", hold_id.clone(), event))
        }
        Command::Void { key, hold_id } => {
            release(snap, fx, hold_id, HoldStatus::Voided, now_ms)?;
            let event = json!({ "key": key, "hold_id": hold_id });
            (Outcome::Voided { hold_id: hold_id.clone() }, ("ledger.hold.voided", hold_id.clone(), event))
        }
        Command::Reverse { key, entry_id } => {
            let reversal_id = reverse(snap, fx, key, entry_id)?;
            let event = json!({ "key": key, "reverses": entry_id });
            (Outcome::Entry { entry_id: reversal_id.clone() }, ("ledger.entry.reversed", reversal_id, event))
        }
    };
    let (action, target, details) = event;
    fx.audit.push(
        AuditEvent::new(req.origin.actor.clone(), action, target)
            .request_id(req.origin.request_id.clone())
            .details(details),
    );
    fx.outbox.extend(req.notify.iter().cloned());
    snap.idempotency.insert(key.to_owned(), IdempotencyRecord { request_hash: hash.clone(), outcome: outcome.clone() });
    fx.idempotency.push((key.to_owned(), hash, outcome.clone()));
    Ok(Receipt { outcome, replayed: false })
}

fn postings_json(postings: &[Posting]) -> serde_json::Value {
    postings.iter().map(|p| json!([p.account_id, p.currency, p.amount_minor])).collect()
}

struct NewEntryMeta<'a> {
    key: &'a str,
    kind: &'a str,
    description: &'a str,
    reverses: Option<&'a str>,
    hold: Option<&'a str>,
}

/// Validate postings against the snapshot, then apply them. Nothing changes unless all pass.
fn post(
    snap: &mut Snapshot,
    fx: &mut Effects,
    postings: &[Posting],
    meta: NewEntryMeta<'_>,
) -> Result<String, LedgerError> {
    if postings.len() < 2 || postings.len() > MAX_POSTINGS_PER_ENTRY {
        return Err(LedgerError::InvalidCommand(format!(
            "an entry needs between 2 and {MAX_POSTINGS_PER_ENTRY} postings"
        )));
    }
    // Per-account net change and per-currency sum, computed before touching any state.
    let mut net: BTreeMap<&str, i64> = BTreeMap::new();
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    for p in postings {
        if p.amount_minor == 0 || p.amount_minor.abs() > MAX_AMOUNT_MINOR {
            return Err(LedgerError::InvalidCommand(format!(
                "posting amounts must be non-zero and at most {MAX_AMOUNT_MINOR} in magnitude"
            )));
        }
        let account =
            snap.accounts.get(&p.account_id).ok_or_else(|| LedgerError::AccountNotFound(p.account_id.clone()))?;
        if account.currency != p.currency {
            return Err(LedgerError::CurrencyMismatch {
                account_id: p.account_id.clone(),
                account_currency: account.currency.to_string(),
                posting_currency: p.currency.to_string(),
            });
        }
        // Bounded by MAX_POSTINGS_PER_ENTRY * MAX_AMOUNT_MINOR, far inside i64.
        *net.entry(p.account_id.as_str()).or_default() += p.amount_minor;
        *sums.entry(p.currency.as_str()).or_default() += p.amount_minor;
    }
    if let Some((currency, _)) = sums.iter().find(|(_, sum)| **sum != 0) {
        return Err(LedgerError::Unbalanced((*currency).to_owned()));
    }
    for (account_id, delta) in &net {
        let account = &snap.accounts[*account_id];
        let new_balance = account
            .balance_minor
            .checked_add(*delta)
            .ok_or_else(|| LedgerError::InvalidCommand("balance would overflow".into()))?;
        if *delta < 0 && account.flags.no_negative() && new_balance - account.pending_debit_minor < 0 {
            return Err(LedgerError::InsufficientFunds((*account_id).to_owned()));
        }
    }
    // All checks passed: apply.
    let entry_id = new_id("je");
    for p in postings {
        let account = snap.accounts.get_mut(&p.account_id).expect("checked above");
        account.balance_minor += p.amount_minor;
        fx.postings.push(NewPosting {
            entry_id: entry_id.clone(),
            account_id: p.account_id.clone(),
            currency: p.currency.clone(),
            amount_minor: p.amount_minor,
            balance_after_minor: account.balance_minor,
        });
        fx.changed_account_ids.push(p.account_id.clone());
    }
    fx.entries.push(NewEntry {
        id: entry_id.clone(),
        kind: meta.kind.to_owned(),
        description: meta.description.to_owned(),
        key: meta.key.to_owned(),
        reverses_entry_id: meta.reverses.map(str::to_owned),
        hold_id: meta.hold.map(str::to_owned),
    });
    snap.entries.insert(
        entry_id.clone(),
        EntryState { postings: postings.to_vec(), is_reversal: meta.reverses.is_some(), reversed: false },
    );
    Ok(entry_id)
}

#[allow(clippy::too_many_arguments)]
fn hold(
    snap: &mut Snapshot,
    fx: &mut Effects,
    key: &str,
    debit_id: &str,
    credit_id: &str,
    currency: &Currency,
    amount_minor: i64,
    ttl_secs: i64,
    now_ms: i64,
) -> Result<String, LedgerError> {
    if amount_minor <= 0 || amount_minor > MAX_AMOUNT_MINOR {
        return Err(LedgerError::InvalidCommand(format!("hold amount must be between 1 and {MAX_AMOUNT_MINOR}")));
    }
    if !(1..=MAX_HOLD_TTL_SECS).contains(&ttl_secs) {
        return Err(LedgerError::InvalidCommand(format!("ttl_secs must be between 1 and {MAX_HOLD_TTL_SECS}")));
    }
    if debit_id == credit_id {
        return Err(LedgerError::InvalidCommand("a hold needs two different accounts".into()));
    }
    for id in [debit_id, credit_id] {
        let account = snap.accounts.get(id).ok_or_else(|| LedgerError::AccountNotFound(id.to_owned()))?;
        if &account.currency != currency {
            return Err(LedgerError::CurrencyMismatch {
                account_id: id.to_owned(),
                account_currency: account.currency.to_string(),
                posting_currency: currency.to_string(),
            });
        }
    }
    let debit = &snap.accounts[debit_id];
    if debit.flags.no_negative() && debit.available_minor() - amount_minor < 0 {
        return Err(LedgerError::InsufficientFunds(debit_id.to_owned()));
    }
    let overflow = || LedgerError::InvalidCommand("reservations on this account would overflow".into());
    let new_pending_debit = debit.pending_debit_minor.checked_add(amount_minor).ok_or_else(overflow)?;
    let new_pending_credit =
        snap.accounts[credit_id].pending_credit_minor.checked_add(amount_minor).ok_or_else(overflow)?;
    let hold_id = new_id("hold");
    snap.accounts.get_mut(debit_id).expect("checked").pending_debit_minor = new_pending_debit;
    snap.accounts.get_mut(credit_id).expect("checked").pending_credit_minor = new_pending_credit;
    fx.changed_account_ids.extend([debit_id.to_owned(), credit_id.to_owned()]);
    snap.holds.insert(
        hold_id.clone(),
        HoldState {
            id: hold_id.clone(),
            key: key.to_owned(),
            debit_account_id: debit_id.to_owned(),
            credit_account_id: credit_id.to_owned(),
            currency: currency.clone(),
            amount_minor,
            captured_minor: 0,
            status: HoldStatus::Pending,
            expires_at_ms: now_ms + ttl_secs * 1000,
            created_at_ms: now_ms,
            resolved_at_ms: None,
            capture_entry_id: None,
        },
    );
    fx.new_hold_ids.push(hold_id.clone());
    Ok(hold_id)
}

fn pending_hold<'a>(snap: &'a Snapshot, hold_id: &str) -> Result<&'a HoldState, LedgerError> {
    let hold = snap.holds.get(hold_id).ok_or_else(|| LedgerError::HoldNotFound(hold_id.to_owned()))?;
    if hold.status != HoldStatus::Pending {
        return Err(LedgerError::HoldNotPending { hold_id: hold_id.to_owned(), status: hold.status.as_str().into() });
    }
    Ok(hold)
}

fn capture(
    snap: &mut Snapshot,
    fx: &mut Effects,
    key: &str,
    hold_id: &str,
    amount_minor: i64,
    now_ms: i64,
) -> Result<String, LedgerError> {
    let hold = pending_hold(snap, hold_id)?.clone();
    if hold.expires_at_ms <= now_ms {
        return Err(LedgerError::HoldExpired(hold_id.to_owned()));
    }
    if amount_minor <= 0 {
        return Err(LedgerError::InvalidCommand("capture amount must be positive".into()));
    }
    if amount_minor > hold.amount_minor {
        return Err(LedgerError::CaptureExceedsHold { requested_minor: amount_minor, held_minor: hold.amount_minor });
    }
    let postings = vec![
        Posting {
            account_id: hold.debit_account_id.clone(),
            currency: hold.currency.clone(),
            amount_minor: -amount_minor,
        },
        Posting { account_id: hold.credit_account_id.clone(), currency: hold.currency.clone(), amount_minor },
    ];
    // Release the reservation first: the capture spends the reserved funds, not fresh ones.
    let saved = (snap.accounts[&hold.debit_account_id].clone(), snap.accounts[&hold.credit_account_id].clone());
    release_amounts(snap, hold_id);
    let meta = NewEntryMeta { key, kind: "capture", description: "", reverses: None, hold: Some(hold_id) };
    match post(snap, fx, &postings, meta) {
        Ok(entry_id) => {
            let hold = snap.holds.get_mut(hold_id).expect("checked");
            hold.status = HoldStatus::Captured;
            hold.captured_minor = amount_minor;
            hold.resolved_at_ms = Some(now_ms);
            hold.capture_entry_id = Some(entry_id.clone());
            fx.changed_hold_ids.push(hold_id.to_owned());
            Ok(entry_id)
        }
        Err(e) => {
            // Cannot happen while invariants hold (the funds were reserved); restore to stay atomic.
            debug_assert!(false, "capture of reserved funds failed: {e}");
            snap.accounts.insert(saved.0.id.clone(), saved.0);
            snap.accounts.insert(saved.1.id.clone(), saved.1);
            Err(e)
        }
    }
}

fn release_amounts(snap: &mut Snapshot, hold_id: &str) {
    let hold = &snap.holds[hold_id];
    let (debit, credit, amount) = (hold.debit_account_id.clone(), hold.credit_account_id.clone(), hold.amount_minor);
    let d = snap.accounts.get_mut(&debit).expect("hold accounts are loaded with the hold");
    d.pending_debit_minor -= amount;
    assert!(d.pending_debit_minor >= 0, "pending debit went negative on {debit}");
    let c = snap.accounts.get_mut(&credit).expect("hold accounts are loaded with the hold");
    c.pending_credit_minor -= amount;
    assert!(c.pending_credit_minor >= 0, "pending credit went negative on {credit}");
}

fn release(
    snap: &mut Snapshot,
    fx: &mut Effects,
    hold_id: &str,
    status: HoldStatus,
    now_ms: i64,
) -> Result<(), LedgerError> {
    let hold = pending_hold(snap, hold_id)?;
    fx.changed_account_ids.extend([hold.debit_account_id.clone(), hold.credit_account_id.clone()]);
    release_amounts(snap, hold_id);
    let hold = snap.holds.get_mut(hold_id).expect("checked");
    hold.status = status;
    hold.resolved_at_ms = Some(now_ms);
    fx.changed_hold_ids.push(hold_id.to_owned());
    Ok(())
}

fn expire(snap: &mut Snapshot, hold_id: &str, now_ms: i64, fx: &mut Effects) -> Result<Outcome, LedgerError> {
    let hold = pending_hold(snap, hold_id)?;
    if hold.expires_at_ms > now_ms {
        return Err(LedgerError::InvalidCommand(format!("hold {hold_id} has not expired")));
    }
    release(snap, fx, hold_id, HoldStatus::Expired, now_ms)?;
    fx.audit.push(AuditEvent::new("system", "ledger.hold.expired", hold_id));
    Ok(Outcome::Voided { hold_id: hold_id.to_owned() })
}

fn reverse(snap: &mut Snapshot, fx: &mut Effects, key: &str, entry_id: &str) -> Result<String, LedgerError> {
    let entry = snap.entries.get(entry_id).ok_or_else(|| LedgerError::EntryNotFound(entry_id.to_owned()))?;
    if entry.is_reversal {
        return Err(LedgerError::CannotReverseReversal(entry_id.to_owned()));
    }
    if entry.reversed {
        return Err(LedgerError::AlreadyReversed(entry_id.to_owned()));
    }
    let negated: Vec<Posting> = entry
        .postings
        .iter()
        .map(|p| Posting {
            account_id: p.account_id.clone(),
            currency: p.currency.clone(),
            amount_minor: -p.amount_minor,
        })
        .collect();
    let meta = NewEntryMeta { key, kind: "reversal", description: "", reverses: Some(entry_id), hold: None };
    let reversal_id = post(snap, fx, &negated, meta)?;
    snap.entries.get_mut(entry_id).expect("checked").reversed = true;
    Ok(reversal_id)
}

fn validate_key(key: &str) -> Result<(), LedgerError> {
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(LedgerError::InvalidCommand(format!(
            "idempotency key must be 1 to {MAX_KEY_CHARS} printable characters"
        )));
    }
    Ok(())
}

fn validate_kind(kind: &str) -> Result<(), LedgerError> {
    let ok = !kind.is_empty()
        && kind.len() <= 64
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if ok { Ok(()) } else { Err(LedgerError::InvalidCommand("entry kind must be 1 to 64 of [a-z0-9_.]".into())) }
}

fn validate_description(description: &str) -> Result<(), LedgerError> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS || description.chars().any(char::is_control) {
        return Err(LedgerError::InvalidCommand(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters, without control characters"
        )));
    }
    Ok(())
}

/// Longest id the ledger accepts; ours are far shorter.
const MAX_ID_CHARS: usize = 64;

fn validate_id(what: &str, id: &str) -> Result<(), LedgerError> {
    let ok = !id.is_empty() && id.len() <= MAX_ID_CHARS && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(LedgerError::InvalidCommand(format!("{what} must be 1 to {MAX_ID_CHARS} of [A-Za-z0-9_]")))
    }
}

/// Checks a command's form before it is queued, so that a malformed id or text (a NUL byte,
/// which PostgreSQL refuses to store) fails alone and never reaches a batch's SQL.
pub fn check_shape(command: &Command) -> Result<(), LedgerError> {
    validate_key(command.key())?;
    match command {
        Command::Post { kind, description, postings, .. } => {
            validate_kind(kind)?;
            validate_description(description)?;
            if postings.len() > MAX_POSTINGS_PER_ENTRY {
                return Err(LedgerError::InvalidCommand(format!(
                    "an entry needs between 2 and {MAX_POSTINGS_PER_ENTRY} postings"
                )));
            }
            postings.iter().try_for_each(|p| validate_id("account id", &p.account_id))
        }
        Command::Hold { debit_account_id, credit_account_id, .. } => {
            validate_id("account id", debit_account_id)?;
            validate_id("account id", credit_account_id)
        }
        Command::Capture { hold_id, .. } | Command::Void { hold_id, .. } => validate_id("hold id", hold_id),
        Command::Reverse { entry_id, .. } => validate_id("entry id", entry_id),
    }
}

/// The ids of everything `work` may read, so the store can load exactly that.
#[derive(Debug, Default)]
pub struct Reads {
    pub keys: Vec<String>,
    pub hold_ids: Vec<String>,
    pub entry_ids: Vec<String>,
    pub account_ids: Vec<String>,
}

pub fn reads_of(work: &[Work]) -> Reads {
    let mut r = Reads::default();
    for item in work {
        match item {
            Work::Expire { hold_id } => r.hold_ids.push(hold_id.clone()),
            Work::Request(req) => {
                r.keys.push(req.command.key().to_owned());
                match &req.command {
                    Command::Post { postings, .. } => {
                        r.account_ids.extend(postings.iter().map(|p| p.account_id.clone()))
                    }
                    Command::Hold { debit_account_id, credit_account_id, .. } => {
                        r.account_ids.extend([debit_account_id.clone(), credit_account_id.clone()])
                    }
                    Command::Capture { hold_id, .. } | Command::Void { hold_id, .. } => {
                        r.hold_ids.push(hold_id.clone())
                    }
                    Command::Reverse { entry_id, .. } => r.entry_ids.push(entry_id.clone()),
                }
            }
        }
    }
    for v in [&mut r.keys, &mut r.hold_ids, &mut r.entry_ids, &mut r.account_ids] {
        v.sort();
        v.dedup();
    }
    r
}
