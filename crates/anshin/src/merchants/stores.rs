//! Stores and staff: managers open and close stores; owners add anyone, managers add cashiers.
//! Adding staff needs a fresh second factor (an `add_staff` grant), spent with the new account.

use serde::Deserialize;
use serde_json::json;

use super::model::{MerchantError, Permission, PostalCode, StaffRole, display_text};
use super::store::{self, StaffMember, Store};
use super::{Actor, MAX_STORES_PER_MERCHANT, Merchants, require_usable};
use crate::identity::{Client, Principal};
use crate::storage::ids::new_id;
use crate::storage::now_ms;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStore {
    /// The name shown to customers before they pay (always this, never what a QR code says).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Seven digits, with or without the hyphen.
    #[schema(pattern = "^[0-9]{3}-?[0-9]{4}$")]
    pub postal_code: String,
    #[schema(min_length = 1, max_length = 200)]
    pub address: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    #[schema(min_length = 1, max_length = 100)]
    pub legal_name: String,
    /// owner, manager or cashier.
    #[schema(pattern = "^(owner|manager|cashier)$")]
    pub role: String,
}

impl Merchants {
    pub async fn add_store(
        &self,
        who: &Principal,
        merchant_id: &str,
        new: &NewStore,
        client: &Client,
    ) -> Result<Store, MerchantError> {
        let (m, _) = self.authorize(who, merchant_id, Permission::ManageStores, false, client).await?;
        require_usable(&m)?;
        let name =
            display_text(&new.name, 100, "the store name").map_err(MerchantError::invalid("name_invalid", "name"))?;
        let postal = PostalCode::parse(&new.postal_code)
            .map_err(MerchantError::invalid("postal_code_invalid", "postal_code"))?;
        let address = display_text(&new.address, 200, "the address")
            .map_err(MerchantError::invalid("address_invalid", "address"))?;
        let id = new_id("sto");
        let mut tx = self.db.begin_write().await?;
        let row = store::NewStoreRow {
            id: &id,
            merchant_id,
            name: &name,
            postal_code: postal.as_str(),
            address: &address,
            now_ms: now_ms(),
        };
        let number = store::insert_store(&mut tx, &row, MAX_STORES_PER_MERCHANT)
            .await?
            .ok_or(MerchantError::Conflict("this merchant has as many stores as it may have"))?;
        let details = json!({ "merchant": merchant_id, "number": number });
        self.commit_with_audit(tx, &who.user_id, "merchants.store.added", &id, client, details).await?;
        store::store_by_id(&self.db, &id).await?.ok_or(MerchantError::NotFound)
    }

    /// Stores of a merchant, for its staff and operators.
    pub async fn stores(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Vec<Store>, MerchantError> {
        self.authorize(who, merchant_id, Permission::TakePayments, true, client).await?;
        Ok(store::stores_of(&self.db, merchant_id).await?)
    }

    /// Close or reopen a store (a closed store's codes and keys take nothing).
    pub async fn set_store_open(
        &self,
        who: &Principal,
        merchant_id: &str,
        store_id: &str,
        open: bool,
        client: &Client,
    ) -> Result<Store, MerchantError> {
        self.authorize(who, merchant_id, Permission::ManageStores, false, client).await?;
        let status = if open { "open" } else { "closed" };
        let mut tx = self.db.begin_write().await?;
        if !store::set_store_status(&mut tx, store_id, merchant_id, status).await? {
            return Err(MerchantError::NotFound);
        }
        let details = json!({ "merchant": merchant_id, "status": status });
        self.commit_with_audit(tx, &who.user_id, "merchants.store.status", store_id, client, details).await?;
        store::store_by_id(&self.db, store_id).await?.ok_or(MerchantError::NotFound)
    }

    /// Add a member of staff; returns the one-time initial password (an authenticator app must
    /// be set up at first sign-in). Admins may add a merchant's first owner.
    pub async fn add_staff(
        &self,
        who: &Principal,
        merchant_id: &str,
        new: &NewStaff,
        client: &Client,
    ) -> Result<String, MerchantError> {
        let (m, actor) = self.authorize(who, merchant_id, Permission::ManageStaff, true, client).await?;
        require_usable(&m)?;
        let role = StaffRole::parse(&new.role).ok_or_else(|| MerchantError::Invalid {
            code: "role_invalid",
            message: "role must be owner, manager or cashier".into(),
            param: "role",
        })?;
        let allowed = match actor {
            Actor::Staff(me) => me.may_add(role),
            Actor::Operator { admin } => admin,
        };
        if !allowed {
            return Err(self.identity.denied(who, &format!("merchants.{merchant_id}.add_staff"), client).await.into());
        }
        Ok(self
            .identity
            .create_merchant_staff(Some(who), merchant_id, &new.email, &new.legal_name, role.as_str())
            .await?)
    }

    /// The command line adds staff to an existing merchant.
    pub async fn add_staff_cli(&self, merchant_id: &str, new: &NewStaff) -> Result<String, MerchantError> {
        store::merchant_by_id(&self.db, merchant_id).await?.ok_or(MerchantError::NotFound)?;
        Ok(self.identity.create_merchant_staff(None, merchant_id, &new.email, &new.legal_name, &new.role).await?)
    }

    pub async fn staff(
        &self,
        who: &Principal,
        merchant_id: &str,
        client: &Client,
    ) -> Result<Vec<StaffMember>, MerchantError> {
        self.authorize(who, merchant_id, Permission::ManageStaff, true, client).await?;
        Ok(store::staff_of(&self.db, merchant_id).await?)
    }
}
