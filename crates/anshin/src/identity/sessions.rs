//! Sessions and devices: opening a session after a second factor, authenticating bearer tokens
//! (idle and absolute limits), listing and ending sessions, forgetting devices.

use serde_json::json;

use super::model::{AccountKind, Client, DeviceInfo, Principal, Profile, SessionCreated, SessionInfo, StepUpAction};
use super::notices::Notice;
use super::store::sessions::{self, NewSession};
use super::store::users::{self, User};
use super::store::{Tx, grants};
use super::{Identity, IdentityError, Purpose, new_token};
use crate::keys::token_hash;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// "Last seen" is refreshed at most this often: a write per request would cost more than it tells.
const TOUCH_INTERVAL_MS: i64 = 60_000;

impl Identity {
    /// A new session, and a new device record unless `device_token` names a known device of the
    /// user. Returns whether the device was new.
    pub(crate) async fn open_session(
        &self,
        tx: &mut Tx,
        user: &User,
        device_token: Option<&str>,
        client: &Client,
        now: i64,
        scope: &str,
    ) -> Result<(SessionCreated, bool), IdentityError> {
        // Staff and operators can do more harm with an unattended session: a shorter idle limit.
        let idle_secs = match AccountKind::parse(&user.kind) {
            AccountKind::Wallet => self.config.session_idle_secs,
            _ => self.config.staff_idle_secs,
        };
        let known = match device_token {
            Some(t) => sessions::known_device(&self.db, &user.id, &token_hash(t)).await?,
            None => None,
        };
        let user_agent: String = client.user_agent.chars().take(200).collect();
        let (device_id, device_token, new_device) = match (known, device_token) {
            (Some(id), Some(t)) => {
                sessions::touch_device(tx, &id, now).await?;
                (id, t.to_owned(), false)
            }
            _ => {
                let (id, token) = (new_id("dev"), new_token());
                sessions::insert_device(tx, &id, &user.id, &token_hash(&token), &user_agent, now).await?;
                (id, token, true)
            }
        };
        let session_id = new_id("ses");
        let token = new_token();
        let expires_at_ms = now + self.config.session_absolute_secs * 1000;
        let new = NewSession {
            id: &session_id,
            token_hash: &token_hash(&token),
            scope,
            user_id: &user.id,
            device_id: &device_id,
            expires_at_ms,
            idle_timeout_ms: idle_secs * 1000,
            ip: &client.ip,
            user_agent: &user_agent,
        };
        sessions::insert(tx, &new, now).await?;
        let created = SessionCreated { session_id, token, device_token, user_id: user.id.clone(), expires_at_ms };
        Ok((created, new_device))
    }

    /// The principal behind a bearer token, if the session is live: not revoked, its account
    /// active, within its idle and absolute limits (idle expiry slides with use).
    pub async fn authenticate(&self, token: &str) -> Result<Principal, IdentityError> {
        let now = now_ms();
        let s = sessions::by_token_hash(&self.db, &token_hash(token)).await?.ok_or(IdentityError::Unauthenticated)?;
        if now >= s.expires_at_ms || now - s.last_seen_at_ms >= s.idle_timeout_ms {
            return Err(IdentityError::Unauthenticated);
        }
        if now - s.last_seen_at_ms > TOUCH_INTERVAL_MS {
            sessions::touch(&self.db, &s.id, now).await?;
        }
        Ok(Principal {
            user_id: s.user_id,
            session_id: s.id,
            device_id: s.device_id,
            authenticated_at_ms: s.authenticated_at_ms,
            kind: AccountKind::parse(&s.kind),
            role: s.role,
            org_ref: s.org_ref,
            scope: s.scope,
        })
    }

    pub async fn logout(&self, who: &Principal, client: &Client) -> Result<(), IdentityError> {
        self.revoke(who, &who.session_id, client).await
    }

    pub async fn sessions(&self, who: &Principal) -> Result<Vec<SessionInfo>, IdentityError> {
        let list = sessions::list(&self.db, &who.user_id, now_ms()).await?;
        Ok(list
            .into_iter()
            .map(|s| SessionInfo {
                current: s.id == who.session_id,
                session_id: s.id,
                device_id: s.device_id,
                created_at_ms: s.created_at_ms,
                last_seen_at_ms: s.last_seen_at_ms,
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect())
    }

    /// End one of the user's own sessions (another device's, or this one).
    pub async fn revoke(&self, who: &Principal, session_id: &str, client: &Client) -> Result<(), IdentityError> {
        let mut tx = self.db.begin_write().await?;
        if !sessions::revoke(&mut tx, session_id, &who.user_id, now_ms()).await? {
            return Err(IdentityError::Invalid {
                code: "session_not_found",
                message: "no such session".into(),
                param: "session_id",
            });
        }
        let details = json!({ "ip": client.ip, "by_session": who.session_id });
        self.commit_with_audit(tx, &who.user_id, "identity.session.revoked", session_id, client, details).await
    }

    pub async fn devices(&self, who: &Principal) -> Result<Vec<DeviceInfo>, IdentityError> {
        let list = sessions::list_devices(&self.db, &who.user_id).await?;
        Ok(list
            .into_iter()
            .map(|d| DeviceInfo {
                current: d.id == who.device_id,
                device_id: d.id,
                name: d.name,
                first_seen_at_ms: d.first_seen_at_ms,
                last_seen_at_ms: d.last_seen_at_ms,
            })
            .collect())
    }

    /// Forget a device (a lost or sold phone): its sessions end, and its next sign-in counts as
    /// a new device. Needs a step-up for this action.
    pub async fn revoke_device(&self, who: &Principal, device_id: &str, client: &Client) -> Result<u64, IdentityError> {
        self.require_grant(who, StepUpAction::RevokeDevice).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        self.consume_grant(&mut tx, who, StepUpAction::RevokeDevice, now).await?;
        let ended = sessions::revoke_device(&mut tx, &who.user_id, device_id, now).await?.ok_or_else(|| {
            IdentityError::Invalid { code: "device_not_found", message: "no such device".into(), param: "device_id" }
        })?;
        let user = users::lock(&self.db, &mut tx, &who.user_id).await?;
        self.mail_owner(&mut tx, &user, Notice::DeviceRevoked).await?;
        let details = json!({ "ip": client.ip, "sessions_revoked": ended });
        self.commit_with_audit(tx, &who.user_id, "identity.device.revoked", device_id, client, details).await?;
        Ok(ended)
    }

    pub async fn profile(&self, who: &Principal) -> Result<Profile, IdentityError> {
        let u = users::by_id(&self.db, &who.user_id).await?;
        Ok(Profile {
            factors: self.factors_for(&u.id, Purpose::Login).await?,
            user_id: u.id,
            email: u.email,
            phone: u.phone,
            legal_name: u.legal_name,
            date_of_birth: u.date_of_birth,
            locale: u.locale,
            money_out_blocked_until_ms: u.money_out_blocked_until_ms,
        })
    }

    /// End every session and unused grant of a user (lock, reset, password or factor change).
    pub(crate) async fn end_everything(&self, tx: &mut Tx, user_id: &str, now: i64) -> Result<u64, IdentityError> {
        grants::void_all(tx, user_id, now).await?;
        super::store::challenges::close_open(tx, user_id, None, now).await?;
        Ok(sessions::revoke_all(tx, user_id, now).await?)
    }
}
