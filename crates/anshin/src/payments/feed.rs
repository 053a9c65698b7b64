//! The merchants' live feed: open portal pages learn of new events within a fraction of a second.
//!
//! One watcher task per process keeps the newest event number in a `watch` channel. It looks
//! when this process's ledger has committed (`Ledger::commits`, so a payment here is seen at
//! once) and every `POLL_INTERVAL` (so one taken by another server process on the same database
//! is seen too), with one cheap query (`MAX(seq)`), and only while someone is watching. Each open
//! page reads its merchant's rows after its cursor when that number moves. Event numbers follow
//! commit order (see migrations/0009), so a number seen means every lower one is readable.
//!
//! Limits: `MAX_STREAMS_PER_SESSION` pages per signed-in session (one per open page, a few tabs;
//! a script cannot open hundreds), `MAX_STREAMS` per process, `MAX_REPLAY_EVENTS` replayed on a
//! resume, and `MAX_STREAM_SECS` per connection, after which the browser reconnects with
//! `Last-Event-ID` (losing nothing) and is authenticated afresh, so a revoked session or a
//! removed member of staff stops receiving within that time.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Once, Weak};
use std::time::Duration;

use tokio::sync::watch;

use super::PaymentError;
use super::events::MerchantEvent;
use super::store_events as store;
use crate::storage::Db;

/// How often the watcher looks for events written by other processes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Open feeds per session: one per open page, a few tabs.
pub const MAX_STREAMS_PER_SESSION: usize = 4;
/// Open feeds per process (each holds a connection and a little memory).
pub const MAX_STREAMS: usize = 2_000;
/// Missed events replayed on a resume; a page that missed more is told to reload (`reset`).
pub const MAX_REPLAY_EVENTS: i64 = 500;
/// Events read at once.
const PAGE: i64 = 100;
/// How long one connection lasts before the browser reconnects (and is authenticated again).
pub const MAX_STREAM_SECS: u64 = 300;

/// What a page receives next.
#[derive(Debug, Clone)]
pub enum FeedItem {
    Event(Box<MerchantEvent>),
    /// More events were missed than a resume replays: reload the list.
    Reset,
}

#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    newest: watch::Sender<i64>,
    commits: Mutex<Option<watch::Receiver<u64>>>,
    started: Once,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    per_session: HashMap<String, usize>,
}

impl Feed {
    pub fn new(db: Db, commits: watch::Receiver<u64>) -> Feed {
        let (newest, _) = watch::channel(0);
        Feed {
            inner: Arc::new(Inner {
                db,
                newest,
                commits: Mutex::new(Some(commits)),
                started: Once::new(),
                open: Mutex::new(Open::default()),
            }),
        }
    }

    /// A feed of `merchant_id`'s events after `after_seq` (or from now), counted against
    /// `session_id`'s open feeds. The caller has checked who may watch.
    pub async fn subscribe(
        &self,
        session_id: &str,
        merchant_id: &str,
        after_seq: Option<i64>,
    ) -> Result<Subscription, PaymentError> {
        self.start_watcher();
        let slot = Slot::take(&self.inner, session_id)?;
        let db = &self.inner.db;
        let (cursor, reset) = match after_seq {
            None => (store::newest_seq(db).await?, false),
            Some(after) => match store::replay_start(db, merchant_id, after, MAX_REPLAY_EVENTS).await? {
                Some(start) => (start, true),
                None => (after, false),
            },
        };
        let mut newest = self.inner.newest.subscribe();
        newest.mark_changed(); // the first call reads at once: the replay, or nothing
        Ok(Subscription {
            db: db.clone(),
            merchant_id: merchant_id.to_owned(),
            cursor,
            newest,
            pending: if reset { VecDeque::from([FeedItem::Reset]) } else { VecDeque::new() },
            _slot: slot,
        })
    }

    fn start_watcher(&self) {
        self.inner.started.call_once(|| {
            let commits = self.inner.commits.lock().expect("not poisoned").take();
            tokio::spawn(watch_newest(Arc::downgrade(&self.inner), commits));
        });
    }
}

/// Keeps `newest` up to date while anyone watches; ends when the feed is dropped.
async fn watch_newest(inner: Weak<Inner>, mut commits: Option<watch::Receiver<u64>>) {
    loop {
        let ledger_gone = match commits.as_mut() {
            Some(c) => tokio::select! {
                changed = c.changed() => changed.is_err(),
                _ = tokio::time::sleep(POLL_INTERVAL) => false,
            },
            None => {
                tokio::time::sleep(POLL_INTERVAL).await;
                false
            }
        };
        if ledger_gone {
            commits = None; // polling alone from now on
        }
        let Some(inner) = inner.upgrade() else { return };
        if inner.newest.receiver_count() == 0 {
            continue;
        }
        match store::newest_seq(&inner.db).await {
            Ok(n) => {
                inner.newest.send_if_modified(|v| {
                    let moved = n > *v;
                    if moved {
                        *v = n;
                    }
                    moved
                });
            }
            Err(e) => tracing::warn!(error = %e, "reading the newest merchant event failed"),
        }
    }
}

/// One open page's place in the feed; its slot is given back when it is dropped.
pub struct Subscription {
    db: Db,
    merchant_id: String,
    cursor: i64,
    newest: watch::Receiver<i64>,
    pending: VecDeque<FeedItem>,
    _slot: Slot,
}

impl Subscription {
    /// The next item, waiting until there is one.
    pub async fn next(&mut self) -> Result<FeedItem, sqlx::Error> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(item);
            }
            if self.newest.changed().await.is_err() {
                // The feed is gone (the server is stopping): look now and then until dropped.
                tokio::time::sleep(POLL_INTERVAL).await;
            }
            let seen = *self.newest.borrow_and_update();
            let events = store::after(&self.db, &self.merchant_id, self.cursor, PAGE).await?;
            if events.len() as i64 == PAGE {
                self.newest.mark_changed(); // more to read
            }
            match events.last().and_then(|e| e.seq) {
                Some(last) => self.cursor = last,
                // Nothing of ours up to `seen`: never look below it again.
                None => self.cursor = self.cursor.max(seen),
            }
            self.pending.extend(events.into_iter().map(|e| FeedItem::Event(Box::new(e))));
        }
    }

    /// The number of the last event handed out (or the starting point).
    pub fn cursor(&self) -> i64 {
        self.cursor
    }
}

/// A counted place among the open feeds.
struct Slot {
    inner: Arc<Inner>,
    session_id: String,
}

impl Slot {
    fn take(inner: &Arc<Inner>, session_id: &str) -> Result<Slot, PaymentError> {
        let mut open = inner.open.lock().expect("not poisoned");
        let mine = open.per_session.get(session_id).copied().unwrap_or(0);
        if mine >= MAX_STREAMS_PER_SESSION || open.total >= MAX_STREAMS {
            return Err(PaymentError::TooManyStreams);
        }
        open.total += 1;
        open.per_session.insert(session_id.to_owned(), mine + 1);
        Ok(Slot { inner: inner.clone(), session_id: session_id.to_owned() })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.inner.open.lock().expect("not poisoned");
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_session.get_mut(&self.session_id) {
            *n -= 1;
            if *n == 0 {
                open.per_session.remove(&self.session_id);
            }
        }
    }
}
