//! Abandoning a provisioning that died: its schema or database, its rows in
//! the shared pool (a seed may have written some), its residency and its
//! registry row go; nothing else does.

use tenantry_postgres::contract::POOL_SCHEMA;
use tenantry_postgres::{MAIN_SERVER, Placement, TenantRecord, TenantStatus};
use tenantry_query::{Identifier, TenantId};
use tokio_postgres::Client;

use crate::migrate::{Target, forget_applied};
use crate::operator::Operator;
use crate::registry::{self, TenantRef, find_tenant};
use crate::{Error, purge};

impl Operator {
    /// Removes what the provisioning of `tenant` (by id or slug), still
    /// `provisioning`, made: its own schema or database, its rows in its
    /// server's pool and shared tables, its residency, its registry row.
    /// Returns the row it removed. A tenant in any other status is
    /// [`Error::NotProvisioning`], and nothing is removed.
    pub async fn abandon_provisioning(
        &self,
        tenant: impl Into<TenantRef>,
    ) -> Result<TenantRecord, Error> {
        let main = self.connect(MAIN_SERVER, None).await?;
        let record = find_tenant(&main, &tenant.into()).await?;
        if record.status != TenantStatus::Provisioning {
            return Err(Error::NotProvisioning {
                id: record.id,
                status: record.status,
            });
        }
        let server = self.connect(&record.server, None).await?;
        self.drop_placement(&server, &record, &|_| {}).await?;
        let tables = purge::tenant_tables(&server).await?;
        purge::delete_rows(
            &server,
            &tables,
            record.id,
            self.erase_batch_rows(),
            &|_| {},
        )
        .await?;
        forget_resident(&server, &record).await?;
        registry::forget_provisioning(&main, &record).await?;
        Ok(record)
    }
}

impl Operator {
    /// Drops the schema or database of `record`'s own placement on
    /// `server`, its server's own database (nothing for a pool tenant),
    /// with, before a schema, the rows elsewhere that refer to its tables
    /// (see [`purge::drop_own_schema`]), each batch's count passed to
    /// `deleted`, and after it what the schema had applied.
    pub(crate) async fn drop_placement(
        &self,
        server: &Client,
        record: &TenantRecord,
        deleted: &(dyn Fn(u64) + Sync),
    ) -> Result<(), Error> {
        match &record.placement {
            Placement::Pool => Ok(()),
            Placement::Schema(schema) => {
                let batch = self.erase_batch_rows();
                purge::drop_own_schema(server, schema, record.id, batch, deleted).await?;
                // A schema made again under this name is migrated from the start.
                let public = Identifier::new(POOL_SCHEMA)?;
                match Target::of_tenant(record, &public) {
                    Some(target) => forget_applied(server, &target).await,
                    None => Ok(()),
                }
            }
            Placement::Database(database) => Ok(server
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    database.quoted()
                ))
                .await?),
        }
    }
}

/// Removes `record`'s residency and seed marker from its server's own
/// database (a tenant database's went with it).
async fn forget_resident(server: &Client, record: &TenantRecord) -> Result<(), Error> {
    server
        .execute(
            "DELETE FROM tenantry.residents WHERE tenant_id = $1",
            &[&record.id.as_uuid()],
        )
        .await?;
    forget_seed(server, record.id).await
}

/// Removes the seed marker of `tenant` from the connected database.
pub(crate) async fn forget_seed(client: &Client, tenant: TenantId) -> Result<(), Error> {
    client
        .execute(
            "DELETE FROM tenantry.seeded WHERE tenant = $1",
            &[&tenant.to_string()],
        )
        .await?;
    Ok(())
}
