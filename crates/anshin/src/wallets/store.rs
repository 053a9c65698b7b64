//! Every SQL statement over wallets.

use sqlx::Row;

use super::WalletAccounts;
use crate::storage::Db;

pub async fn by_user(db: &Db, user_id: &str) -> Result<Option<WalletAccounts>, sqlx::Error> {
    let row =
        sqlx::query("SELECT money_account_id, lite_account_id, points_account_id FROM wallets WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.read_pool())
            .await?;
    row.map(|r| {
        Ok(WalletAccounts {
            user_id: user_id.to_owned(),
            money: r.try_get("money_account_id")?,
            lite: r.try_get("lite_account_id")?,
            points: r.try_get("points_account_id")?,
        })
    })
    .transpose()
}

pub async fn insert(db: &Db, a: &WalletAccounts, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO wallets (user_id, money_account_id, lite_account_id, points_account_id, created_at_ms)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(&a.user_id)
    .bind(&a.money)
    .bind(&a.lite)
    .bind(&a.points)
    .bind(now_ms)
    .execute(db.write_pool())
    .await?;
    Ok(())
}
