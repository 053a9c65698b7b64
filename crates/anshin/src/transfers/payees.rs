//! Naming a payee. The payer gives an e-mail address or a phone number; the answer is the payee's
//! display name and a payee token to send with. An address that belongs to nobody, to a wallet
//! that is not identity-verified, to a locked account or to the payer gets the same answer
//! (`no_such_payee`), and every lookup, found or not, counts against an hourly allowance: a name
//! for an address is exactly what someone collecting targets wants, so it is rationed.
//!
//! The token is the payer's, the payee's and an expiry sealed (AES-GCM, `Keys::seal`) under a
//! context of its own: it cannot be forged, read, or used by another payer or after it expires.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Transfers, TransfersError, display_name, store};
use crate::identity::store::guards;
use crate::identity::{Client, Principal};
use crate::storage::now_ms;

const TOKEN_CONTEXT: &str = "transfer-payee";
const HOUR_SECS: i64 = 3_600;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayeeLookup {
    /// The payee's e-mail address; give this or `phone`.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// The payee's phone number (E.164, e.g. +819012345678); give this or `email`.
    #[schema(max_length = 16)]
    pub phone: Option<String>,
}

/// Who the money would go to, for the payer to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Payee {
    /// Send this with the transfer; it works for this payer only, until `expires_at_ms`.
    pub payee_token: String,
    /// The payee's family name and initials ("山田 太."): check it is the person you mean.
    pub display_name: String,
    pub expires_at_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    payer: String,
    payee: String,
    exp: i64,
}

impl Transfers {
    pub async fn find_payee(
        &self,
        who: &Principal,
        req: &PayeeLookup,
        client: &Client,
    ) -> Result<Payee, TransfersError> {
        self.require_wallet(who, "transfers.payee.lookup", client).await?;
        let contact = match (req.email.as_deref(), req.phone.as_deref()) {
            (Some(email), None) => Contact::Email(email.trim().to_lowercase()),
            (None, Some(phone)) => Contact::Phone(phone.trim().to_owned()),
            _ => {
                let message = "give the payee's email or phone, one of the two".into();
                return Err(TransfersError::Invalid { code: "payee_contact_invalid", message, param: "email" });
            }
        };
        // The payer must be able to send at all before anyone's name is shown to them.
        self.identity.require_verified(&who.user_id).await?;
        let now = now_ms();
        let key = format!("transfer:lookup:user:{}", who.user_id);
        if guards::hit(&self.db, &key, HOUR_SECS, now).await? > self.config.payee_lookups_per_hour {
            return Err(TransfersError::Declined("too_many_payee_lookups"));
        }
        let payee = match &contact {
            Contact::Email(email) => store::receiving_wallet_by_email(&self.db, email).await?,
            Contact::Phone(phone) => store::receiving_wallet_by_phone(&self.db, phone).await?,
        };
        let Some(payee) = payee.filter(|p| p.user_id != who.user_id) else {
            self.audit_lookup(who, client, false).await?;
            return Err(TransfersError::NoSuchPayee);
        };
        self.audit_lookup(who, client, true).await?;
        let expires_at_ms = now + self.config.payee_ttl_secs * 1000;
        let sealed = Sealed { payer: who.user_id.clone(), payee: payee.user_id.clone(), exp: expires_at_ms };
        let plain = serde_json::to_vec(&sealed).expect("plain data serialises");
        Ok(Payee {
            payee_token: self.keys.seal(&plain, TOKEN_CONTEXT),
            display_name: display_name(&payee.legal_name),
            expires_at_ms,
        })
    }

    /// The payee a token names, if it is this payer's and has not expired.
    pub(super) fn open_payee_token(&self, who: &Principal, token: &str) -> Result<String, TransfersError> {
        let plain = self.keys.open(token.trim(), TOKEN_CONTEXT).map_err(|_| TransfersError::NoSuchPayee)?;
        let sealed: Sealed = serde_json::from_slice(&plain).map_err(|_| TransfersError::NoSuchPayee)?;
        if sealed.payer != who.user_id || sealed.exp <= now_ms() {
            return Err(TransfersError::NoSuchPayee);
        }
        Ok(sealed.payee)
    }

    async fn audit_lookup(&self, who: &Principal, client: &Client, found: bool) -> Result<(), TransfersError> {
        let mut tx = self.db.begin_write().await?;
        let event = crate::audit::AuditEvent::new(&who.user_id, "transfers.payee.lookup", &who.user_id)
            .request_id(client.request_id.clone())
            .details(json!({ "found": found, "ip": client.ip }));
        crate::audit::append(&self.db, &mut tx, &[event]).await?;
        tx.commit().await?;
        Ok(())
    }
}

enum Contact {
    Email(String),
    Phone(String),
}
