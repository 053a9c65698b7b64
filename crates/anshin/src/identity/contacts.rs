//! Changing the verified e-mail address or phone: a step-up for this action, a code to the new
//! contact, a notice to the old one at once, and a cooling-off period during which money cannot
//! leave the wallet. A lock voids a change in progress.

use serde_json::json;

use super::guards;
use super::model::{Client, Principal, StepUpAction};
use super::notices::Notice;
use super::proofs::{Recipient, spend_all};
use super::store::{contacts, users};
use super::types::{Email, Phone};
use super::{Identity, IdentityError, codes};
use crate::notify::Channel;
use crate::storage::ids::new_id;
use crate::storage::now_ms;

/// Contact changes a user may start per hour.
const CHANGES_PER_HOUR: i64 = 5;

fn parse_channel(channel: &str, value: &str) -> Result<(String, Channel), IdentityError> {
    let invalid = IdentityError::invalid;
    match channel {
        "email" => {
            Ok((Email::parse(value).map_err(invalid("email_invalid", "value"))?.as_str().to_owned(), Channel::Email))
        }
        "phone" => {
            Ok((Phone::parse(value).map_err(invalid("phone_invalid", "value"))?.as_str().to_owned(), Channel::Sms))
        }
        _ => Err(IdentityError::Invalid {
            code: "channel_invalid",
            message: "channel must be email or phone".into(),
            param: "channel",
        }),
    }
}

impl Identity {
    /// Start changing the e-mail address or phone: consumes the step-up grant for this action.
    pub async fn start_contact_change(
        &self,
        who: &Principal,
        channel: &str,
        new_value: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let (new_value, send_channel) = parse_channel(channel, new_value)?;
        self.require_grant(who, StepUpAction::ChangeContact).await?;
        self.throttle(&format!("contact-change:user:{}", who.user_id), 3600, CHANGES_PER_HOUR).await?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        self.consume_grant(&mut tx, who, StepUpAction::ChangeContact, now).await?;
        let user = users::lock(&self.db, &mut tx, &who.user_id).await?;
        let notice = |code| Notice::ContactCode { code, channel: channel.to_owned() };
        let purpose = format!("change_{channel}");
        let to = Recipient { channel: send_channel, address: &new_value, locale: &user.locale };
        let code_id = self.issue_code(&mut tx, &purpose, &who.user_id, to, notice).await?;
        let expires_at_ms = now + codes::MAX_TTL_SECS * 1000;
        contacts::insert_change(
            &mut tx,
            &new_id("cch"),
            &who.user_id,
            channel,
            &new_value,
            &code_id,
            expires_at_ms,
            now,
        )
        .await?;
        self.mail_owner(&mut tx, &user, Notice::ContactChanging { channel: channel.to_owned() }).await?;
        let details = json!({ "channel": channel, "ip": client.ip });
        self.commit_with_audit(tx, &who.user_id, "identity.contact_change.requested", &who.user_id, client, details)
            .await
    }

    /// Confirm the change with the code sent to the new contact; the code is spent with the
    /// change. Both contacts are told. A wrong code feeds the device's guard and is audited.
    pub async fn confirm_contact_change(
        &self,
        who: &Principal,
        channel: &str,
        code: &str,
        client: &Client,
    ) -> Result<i64, IdentityError> {
        let now = now_ms();
        let change =
            contacts::pending_change(&self.db, &who.user_id, channel, now).await?.ok_or(IdentityError::CodeDead)?;
        let guard = [(guards::device_key(&who.device_id), guards::schedule_for(who.kind))];
        let admitted = self.admit(&guard).await?;
        let spend = match self.check_code(&change.challenge_id, code).await?.into_result() {
            Ok(spend) => spend,
            Err(e) => {
                let details = json!({ "ip": client.ip, "channel": channel });
                self.audit_failure(&who.user_id, "identity.contact_change.code_failed", &who.user_id, client, details)
                    .await?;
                return Err(e);
            }
        };
        self.give_back(admitted).await?;
        let blocked_until = now + self.config.contact_change_cooling_off_secs * 1000;
        let mut tx = self.db.begin_write().await?;
        let old = users::lock(&self.db, &mut tx, &who.user_id).await?;
        if !contacts::complete_change(&mut tx, &change.id, now).await? {
            return Err(IdentityError::CodeDead); // voided by a lock meanwhile
        }
        spend_all(&mut tx, &[spend], now).await?;
        crate::faults::hit("contact_change.before_commit");
        let email_channel = channel == "email";
        if let Err(e) =
            users::set_contact(&mut tx, &who.user_id, email_channel, &change.new_value, now, blocked_until).await
        {
            return Err(if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                IdentityError::Conflict("that address belongs to another account")
            } else {
                e.into()
            });
        }
        let notice = Notice::ContactChanged { channel: channel.to_owned() };
        // The old contact hears of it on the channel that changed; the (new) e-mail always does.
        let old_contact = if email_channel { (Channel::Email, &old.email) } else { (Channel::Sms, &old.phone) };
        let new_user = users::lock(&self.db, &mut tx, &who.user_id).await?;
        let old_notice = if email_channel { Notice::OldAddressChanged } else { notice.clone() };
        self.send(&mut tx, &[old_notice.to(old_contact.0, old_contact.1, &old.locale)]).await?;
        self.mail_owner(&mut tx, &new_user, notice).await?;
        let details = json!({ "channel": channel, "ip": client.ip, "money_out_blocked_until_ms": blocked_until });
        self.commit_with_audit(tx, &who.user_id, "identity.contact_change.completed", &who.user_id, client, details)
            .await?;
        Ok(blocked_until)
    }
}
