//! `anshin serve --demo`: a running system with someone to be. Once the server listens, this
//! seeds a merchant with a store (and its poster), an owner and a cashier with authenticator
//! apps, and a wallet with verified contacts, an app and a linked test-bank account holding
//! money; then it prints how to sign in as each. It goes through the public HTTP API over
//! loopback, the way a person would (codes are read from the dev mailbox), so the demo exercises
//! the real flows and never writes a row behind their back. Only the merchant itself is made the
//! way `anshin admin create-merchant` makes it.
//!
//! The demo refuses anything but loopback and the dev mailbox. What it prints (passwords and
//! authenticator secrets of demo accounts) is also kept in `<data-dir>/demo.txt` (mode 0600), and
//! a second start with the same data directory prints that file again instead of seeding twice.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use crate::merchants::stores::NewStaff;
use crate::merchants::{Merchants, NewMerchant};
use crate::storage::Db;

/// The test bank's account the demo wallet links (docs/BANK-SIMULATOR.md: ﾔﾏﾀﾞ ﾀﾛｳ, ¥5,000,000).
pub const WALLET_BANK: (&str, &str, &str) = ("0001", "001", "1234567");
/// The test bank's account the demo merchant is paid out to (ｶ)ｱﾝｼﾝ, 株式会社アンシン).
pub const PAYOUT_BANK: (&str, &str, &str) = ("0009", "200", "7654321");
/// What the demo wallet tops up at once, so it can pay straight away.
pub const FIRST_TOP_UP_MINOR: i64 = 20_000;

const FILE: &str = "demo.txt";

/// One demo account, as printed.
struct Login {
    who: &'static str,
    email: String,
    password: String,
    totp_secret: String,
    /// The demo spends the first ones on its own step-ups; the last is printed.
    recovery_codes: Vec<String>,
}

/// Seed (or, if this data directory was seeded before, re-read) and return what to print.
pub async fn seed(base_url: &str, db: &Db, merchants: &Merchants, data_dir: &Path) -> anyhow::Result<String> {
    let identity = merchants.identity();
    let file = data_dir.join(FILE);
    if let Ok(text) = std::fs::read_to_string(&file) {
        return Ok(text);
    }
    let api = Api { base: base_url.trim_end_matches('/').to_owned(), http: reqwest::Client::new(), db: db.clone() };
    let merchant = merchants
        .create_active(&NewMerchant {
            legal_name: "株式会社アンシン".into(),
            legal_name_kana: "カブシキガイシャアンシン".into(),
            mcc: "5812".into(),
            contact_email: "shop@demo.anshin.test".into(),
            fee_rate_bp: None,
        })
        .await
        .map_err(|e| anyhow!("creating the demo merchant: {e}"))?;
    let (owner, owner_token) =
        api.staff(merchants, &merchant.id, "owner@demo.anshin.test", "安心 花子", "owner").await?;
    let (_, store) = api
        .post(
            &format!("/v1/merchants/{}/stores", merchant.id),
            json!({ "name": "アンシン本店", "postal_code": "1500002", "address": "東京都渋谷区渋谷2-1-1" }),
            Some(&owner_token),
        )
        .await
        .context("adding the demo store")?;
    let store_id = store["id"].as_str().ok_or_else(|| anyhow!("no store id in {store}"))?.to_owned();
    let owner_token = api.step_up(&owner_token, "change_payout_account", &owner.recovery_codes[0]).await?;
    let (bank, branch, number) = PAYOUT_BANK;
    let body = json!({ "bank_code": bank, "branch_code": branch, "account_type": "ordinary",
                       "account_number": number, "holder_name": "カ）アンシン" });
    api.post(&format!("/v1/merchants/{}/payout-accounts", merchant.id), body, Some(&owner_token))
        .await
        .context("setting the demo payout account")?;
    let (cashier, _) = api.staff(merchants, &merchant.id, "cashier@demo.anshin.test", "山田 次郎", "cashier").await?;
    let operator_email = "ops@demo.anshin.test";
    let password = identity.create_operator(operator_email, "運用 担当", "admin").await.map_err(|e| anyhow!("{e}"))?;
    let (operator, _) = api.enrol(operator_email, password, "operator").await?;
    let (wallet, wallet_token) = api.wallet().await?;
    let wallet_token = api.step_up(&wallet_token, "link_bank_account", &wallet.recovery_codes[0]).await?;
    let (bank, branch, number) = WALLET_BANK;
    let body =
        json!({ "bank_code": bank, "branch_code": branch, "account_type": "ordinary", "account_number": number });
    let (_, link) =
        api.post("/v1/me/bank-accounts", body, Some(&wallet_token)).await.context("linking the demo bank account")?;
    let body = json!({ "bank_account_id": link["id"], "amount_minor": FIRST_TOP_UP_MINOR });
    api.post("/v1/me/top-ups", body, Some(&wallet_token)).await.context("the demo's first top-up")?;

    let mut out = String::new();
    out.push_str("Demo data (kept in the data directory's demo.txt; these are demo accounts only):\n");
    out.push_str(&format!("  merchant  {} 株式会社アンシン, store {store_id} アンシン本店\n", merchant.id));
    for login in [&wallet, &cashier, &owner, &operator] {
        out.push_str(&format!(
            "  {:<8}  sign in at {}/login as {} / {}\n            authenticator app secret {} (otpauth://totp/Anshin:{}?secret={}&issuer=Anshin)\n            a spare recovery code: {}\n",
            login.who,
            api.base,
            login.email,
            login.password,
            login.totp_secret,
            login.email,
            login.totp_secret,
            login.recovery_codes.last().map(String::as_str).unwrap_or("(none)"),
        ));
    }
    out.push_str(&format!(
        "  the wallet holds {} topped up from its linked test-bank account {}-{} {} (ﾔﾏﾀﾞ ﾀﾛｳ); top up more at {}/wallet/funding\n",
        crate::i18n::yen(FIRST_TOP_UP_MINOR),
        WALLET_BANK.0,
        WALLET_BANK.1,
        WALLET_BANK.2,
        api.base
    ));
    out.push_str(&format!(
        "  take a payment: as the cashier open {}/merchant/till; as the wallet open {}/wallet/pay (show a code) or /wallet/scan (scan the till's code)\n",
        api.base, api.base
    ));
    out.push_str(&format!(
        "  settle a finished business day (cut-off 00:00 Japan time; --settlement-cutoff HH:MM moves it) as the operator at {}/ops/settlements\n",
        api.base
    ));
    write_private(&file, &out)?;
    Ok(out)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

struct Api {
    base: String,
    http: reqwest::Client,
    db: Db,
}

impl Api {
    async fn post(&self, path: &str, body: Value, token: Option<&str>) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.with_context(|| format!("POST {path}"))?;
        let status = resp.status().as_u16();
        let value = resp.json().await.unwrap_or(Value::Null);
        if status >= 300 {
            bail!("POST {path} answered {status}: {value}");
        }
        Ok((status, value))
    }

    /// The newest six-digit code sent to `recipient` (the outbox delivers it within a second).
    async fn code_for(&self, recipient: &str) -> anyhow::Result<String> {
        for _ in 0..100 {
            let messages = crate::notify::mailbox(&self.db, Some(recipient), 5).await?;
            if let Some(code) = messages.iter().find_map(|m| six_digits(&m.body)) {
                return Ok(code);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no code reached {recipient} in the dev mailbox")
    }

    /// A member of the merchant's staff, made as `anshin admin create-merchant-staff` does, who
    /// then sets up an authenticator app through the API; with the session that did it.
    async fn staff(
        &self,
        merchants: &Merchants,
        merchant_id: &str,
        email: &str,
        name: &str,
        role: &'static str,
    ) -> anyhow::Result<(Login, String)> {
        let new = NewStaff { email: email.into(), legal_name: name.into(), role: role.into() };
        let password = merchants.add_staff_cli(merchant_id, &new).await.map_err(|e| anyhow!("{e}"))?;
        self.enrol(email, password, role).await
    }

    /// Someone made with a one-time password signs in and sets up an authenticator app.
    async fn enrol(&self, email: &str, password: String, who: &'static str) -> anyhow::Result<(Login, String)> {
        let (_, challenge) = self.post("/v1/sessions", json!({ "email": email, "password": password }), None).await?;
        let id = challenge["challenge_id"].as_str().unwrap_or_default();
        let (_, session) = self.post(&format!("/v1/sessions/challenges/{id}/enrolment"), json!({}), None).await?;
        let token = session["token"].as_str().unwrap_or_default().to_owned();
        let (secret, recovery_codes) = self.enrol_totp(&token).await?;
        Ok((Login { who, email: email.into(), password, totp_secret: secret, recovery_codes }, token))
    }

    /// Add an authenticator app: its secret and the recovery codes.
    async fn enrol_totp(&self, token: &str) -> anyhow::Result<(String, Vec<String>)> {
        let (_, enrol) = self.post("/v1/me/factors/totp", json!({}), Some(token)).await?;
        let secret = enrol["secret"].as_str().unwrap_or_default().to_owned();
        let code = crate::identity::totp::code_from_base32(&secret, crate::storage::now_ms() as u64 / 1000)
            .map_err(|e| anyhow!("{e}"))?;
        let (_, body) = self.post("/v1/me/factors/totp/confirmation", json!({ "code": code }), Some(token)).await?;
        let codes = body["recovery_codes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(String::from))
            .collect();
        Ok((secret, codes))
    }

    /// A step-up for `action` with a recovery code; the session's new token.
    async fn step_up(&self, token: &str, action: &str, recovery_code: &str) -> anyhow::Result<String> {
        let (_, challenge) = self.post("/v1/me/step-up", json!({ "action": action }), Some(token)).await?;
        let path = format!("/v1/me/step-up/{}", challenge["challenge_id"].as_str().unwrap_or_default());
        let (_, stepped) =
            self.post(&path, json!({ "factor": "recovery_code", "code": recovery_code }), Some(token)).await?;
        Ok(stepped["token"].as_str().unwrap_or_default().to_owned())
    }

    /// A wallet registered with both contacts verified, with an app; and its session.
    async fn wallet(&self) -> anyhow::Result<(Login, String)> {
        let (email, phone) = ("taro@demo.anshin.test", "+819011112222");
        let password = demo_password();
        let body = json!({ "email": email, "phone": phone, "password": password,
                           "legal_name": "ヤマダ タロウ", "date_of_birth": "1990-04-15" });
        let (_, started) = self.post("/v1/registrations", body, None).await?;
        let body = json!({ "registration_id": started["registration_id"],
                           "email_code": self.code_for(email).await?, "sms_code": self.code_for(phone).await? });
        let (_, account) = self.post("/v1/registrations/verification", body, None).await?;
        let token = account["token"].as_str().unwrap_or_default().to_owned();
        let (secret, recovery_codes) = self.enrol_totp(&token).await?;
        Ok((Login { who: "wallet", email: email.into(), password, totp_secret: secret, recovery_codes }, token))
    }
}

/// A strong throwaway password for the demo wallet (the server checks its strength).
fn demo_password() -> String {
    format!("demo-{}", &crate::storage::ids::random_hex_128()[..20])
}

fn six_digits(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(5))
        .find(|&i| {
            b[i..i + 6].iter().all(u8::is_ascii_digit)
                && (i + 6 == b.len() || !b[i + 6].is_ascii_digit())
                && (i == 0 || !b[i - 1].is_ascii_digit())
        })
        .map(|i| s[i..i + 6].to_owned())
}
