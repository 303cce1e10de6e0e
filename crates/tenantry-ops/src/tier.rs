//! Changing a tenant's tier (its registry `plan`, which names the limits
//! every application process enforces for it: `tenantry_postgres::Limits`)
//! and the limits of its own that override its tier's.

use tenantry_postgres::contract::{CONTROL_SCHEMA, TENANTS_TABLE};
use tenantry_postgres::{LimitOverrides, MAIN_SERVER, TenantRecord};

use crate::Error;
use crate::operator::Operator;
use crate::registry::{self, TenantRef};

impl Operator {
    /// Moves `tenant` (by id or slug) to tier `tier` (`free`, `pro`,
    /// `enterprise` or any name the applications configure) and returns its
    /// registry row. The registry announces the change: every application
    /// process applies the tier's limits from the tenant's next statement,
    /// without a restart. A blank tier is refused ([`Error::BlankTier`]).
    pub async fn set_tier(
        &self,
        tenant: impl Into<TenantRef>,
        tier: &str,
    ) -> Result<TenantRecord, Error> {
        if tier.trim().is_empty() {
            return Err(Error::BlankTier);
        }
        let main = self.connect(MAIN_SERVER, None).await?;
        let record = registry::find_tenant(&main, &tenant.into()).await?;
        main.execute(
            &format!(
                "UPDATE {CONTROL_SCHEMA}.{TENANTS_TABLE} SET plan = $2, updated_at = now() WHERE id = $1"
            ),
            &[&record.id.as_uuid(), &tier],
        )
        .await?;
        registry::find_tenant(&main, &TenantRef::Id(record.id)).await
    }

    /// Gives `tenant` (by id or slug) `overrides` as its own limits, in
    /// place of those it had (an empty [`LimitOverrides`] clears them), and
    /// returns its registry row. Each limit set replaces its tier's; the
    /// others stay the tier's. The registry announces the change: every
    /// application process applies it from the tenant's next statement,
    /// without a restart.
    pub async fn set_limits(
        &self,
        tenant: impl Into<TenantRef>,
        overrides: &LimitOverrides,
    ) -> Result<TenantRecord, Error> {
        let overrides = serde_json::to_string(overrides).expect("limits serialize");
        let main = self.connect(MAIN_SERVER, None).await?;
        let record = registry::find_tenant(&main, &tenant.into()).await?;
        main.execute(
            &format!(
                "UPDATE {CONTROL_SCHEMA}.{TENANTS_TABLE} SET limits = $2::text::jsonb, updated_at = now() WHERE id = $1"
            ),
            &[&record.id.as_uuid(), &overrides],
        )
        .await?;
        registry::find_tenant(&main, &TenantRef::Id(record.id)).await
    }
}
