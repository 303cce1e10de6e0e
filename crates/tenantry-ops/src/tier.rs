//! Changing a tenant's tier: its registry `plan`, which names the limits
//! every application process enforces for it (`tenantry_postgres::Limits`).

use tenantry_postgres::contract::{CONTROL_SCHEMA, TENANTS_TABLE};
use tenantry_postgres::{MAIN_SERVER, TenantRecord};

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
}
