//! The POS contexts that payments were just taken with, remembered for a moment.
//!
//! A till sends a payment every few seconds, and each needs its key's secret, merchant, store and
//! webhook endpoints: one database round trip per payment, a third of the payment path's. The
//! payment path (`Payments::authenticate_pos` with the nonce spent with the payment) reads them
//! from here for up to `POS_CONTEXT_TTL_MS`. That is safe because nothing here decides alone:
//! the payment's own transaction checks again that the key is live, the merchant active, the
//! store open and the fee rate the one charged (`payments::store::pos_still_accepting`), and a
//! payment that fails that check reads the context afresh before answering. What can be stale for
//! that moment: the names shown in the customer's notice, and a webhook endpoint added on another
//! server process (this one forgets everything after each audited merchant change it makes).
//! Reads, refunds and cancellations always read the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::credentials::PosContext;
use crate::storage::now_ms;

/// How long a POS context is reused on the payment path.
pub const POS_CONTEXT_TTL_MS: i64 = 2_000;
/// Keys remembered at once; past this the memory starts over, so it stays bounded.
const MAX_REMEMBERED: usize = 10_000;

#[derive(Default)]
pub struct PosContextCache {
    recent: Mutex<HashMap<String, (i64, Arc<PosContext>)>>,
}

impl PosContextCache {
    /// The context read for `key_id` less than `POS_CONTEXT_TTL_MS` ago, if any.
    pub fn get(&self, key_id: &str) -> Option<Arc<PosContext>> {
        let recent = self.recent.lock().expect("not poisoned");
        let (read_at_ms, context) = recent.get(key_id)?;
        (now_ms() - read_at_ms < POS_CONTEXT_TTL_MS).then(|| context.clone())
    }

    pub fn remember(&self, context: Arc<PosContext>, read_at_ms: i64) {
        let mut recent = self.recent.lock().expect("not poisoned");
        if recent.len() >= MAX_REMEMBERED {
            recent.clear();
        }
        recent.insert(context.key.id.clone(), (read_at_ms, context));
    }

    pub fn forget(&self, key_id: &str) {
        self.recent.lock().expect("not poisoned").remove(key_id);
    }

    pub fn forget_all(&self) {
        self.recent.lock().expect("not poisoned").clear();
    }
}
