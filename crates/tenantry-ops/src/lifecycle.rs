//! Suspending and resuming a tenant, fenced in the database: the change waits
//! for the tenant's transactions that have written, and no write of the
//! tenant commits in its placement after it (see [`crate::residency`]).

use std::collections::BTreeMap;

use tenantry_query::{Identifier, TenantId};

use tenantry_postgres::{MAIN_SERVER, TenantRecord, TenantStatus};

use crate::operator::Operator;
use crate::reason::Reason;
use crate::transaction::in_transaction;
use crate::{Error, registry, residency};
use tenantry_postgres::Error as RuntimeError;

impl Operator {
    /// Suspends tenant `id`: its placement refuses its writes from now on
    /// (a transaction that wrote before finishes first; one that writes
    /// after fails with
    /// [`tenantry::Error::TenantNotActive`](tenantry_postgres::Error::TenantNotActive)),
    /// then the registry says so, with who asked and why, and every
    /// process's cache drops it. Returns its registry row.
    pub async fn suspend(&self, id: TenantId, reason: &Reason) -> Result<TenantRecord, Error> {
        self.change_status(id, TenantStatus::Active, TenantStatus::Suspended, reason)
            .await
    }

    /// Resumes suspended tenant `id`: its placement admits its writes
    /// again, then the registry serves it and records who asked and why.
    pub async fn resume(&self, id: TenantId, reason: &Reason) -> Result<TenantRecord, Error> {
        self.change_status(id, TenantStatus::Suspended, TenantStatus::Active, reason)
            .await
    }

    /// Records the residency of every registered tenant that its placement
    /// does not record yet: tenants provisioned before residency was
    /// recorded get their writes fenced from their next migration on.
    pub(crate) async fn adopt_residents(&self) -> Result<(), Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        let registered = registry::list(&main).await?;
        let mut by_database: BTreeMap<(&str, Option<&Identifier>), Vec<&TenantRecord>> =
            BTreeMap::new();
        for tenant in &registered {
            if matches!(
                tenant.status,
                TenantStatus::Provisioning | TenantStatus::Erased
            ) {
                continue;
            }
            let database = (tenant.server.as_str(), tenant.placement.database());
            by_database.entry(database).or_default().push(tenant);
        }
        for ((server, database), tenants) in by_database {
            let client = self.connect(server, database).await?;
            residency::adopt(&client, &tenants).await?;
        }
        Ok(())
    }

    /// Moves tenant `id` from status `from` to `to`, in its placement first
    /// (its residency row, which waits for its writing transactions), then in
    /// the registry, with who asked and why. Already in `to`, it is done
    /// again (a change that failed half-way is completed); in any other
    /// status it is refused.
    async fn change_status(
        &self,
        id: TenantId,
        from: TenantStatus,
        to: TenantStatus,
        reason: &Reason,
    ) -> Result<TenantRecord, Error> {
        reason.check()?;
        let main = self.connect(MAIN_SERVER, None).await?;
        let record = registry::find(&main, id)
            .await?
            .ok_or(RuntimeError::UnknownTenant { id })?;
        if record.status != from && record.status != to {
            return Err(RuntimeError::not_serving(id, record.status).into());
        }
        let placement = self
            .connect(&record.server, record.placement.database())
            .await?;
        residency::record(
            &placement,
            id,
            &record.placement,
            to,
            self.fence_wait_limit(),
        )
        .await?;
        in_transaction(&main, async || {
            registry::change_status(&main, id, to, reason).await
        })
        .await?;
        registry::find(&main, id)
            .await?
            .ok_or_else(|| RuntimeError::UnknownTenant { id }.into())
    }
}
