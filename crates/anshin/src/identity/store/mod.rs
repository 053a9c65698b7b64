//! Every SQL statement of the identity context, one module per group of tables. The flows above
//! never write SQL; they call these functions, inside a transaction when an effect and its audit
//! record must commit together.

pub mod challenges;
pub mod contacts;
pub mod factors;
pub mod grants;
pub mod guards;
pub mod recovery;
pub mod sessions;
pub mod users;
pub mod verification;

/// A write transaction (see `Db::begin_write`).
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// True when the statement changed exactly one row: the conditional updates that spend a code
/// or complete a challenge rely on it to refuse a second, concurrent use.
pub(crate) fn one(done: sqlx::any::AnyQueryResult) -> bool {
    done.rows_affected() == 1
}
