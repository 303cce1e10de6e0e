//! The destination of a relocation, made by provisioning's own code (a
//! tenant schema, or a database copied from the server's template, brought
//! to the migrations given), and removed again by a rollback, or the
//! source removed once a move is finished.

use std::collections::HashSet;

use tokio_postgres::Client;

use tenantry_postgres::{MAIN_SERVER, Placement, TenantRecord};

use super::plan::{Leg, Place};
use crate::migrate::{MigrationSet, applied_to, forget_applied, record_state};
use crate::operator::Operator;
use crate::provision::migrate_one;
use crate::{Error, purge, registry};

/// The highest of `versions`.
fn highest(versions: &HashSet<i64>) -> Option<i64> {
    versions.iter().copied().max()
}

impl Operator {
    /// Makes `leg`'s destination ready for the tenant's rows, at the schema
    /// version of its source: a schema or database of its own is made and
    /// migrated with `migrations`, which must be exactly what the source
    /// has applied; the shared pool's tables must have applied exactly
    /// that too. Otherwise [`Error::VersionMismatch`], before anything is
    /// made.
    pub(crate) async fn prepare_destination(
        &self,
        leg: &Leg,
        migrations: &MigrationSet,
    ) -> Result<(), Error> {
        let (from, to) = (&leg.from, &leg.to);
        let source = self.connect(&from.server, from.database()).await?;
        let source_versions = applied_to(&source, &from.target(leg.tenant)?, migrations)
            .await?
            .versions;
        let target_versions: HashSet<i64> = match &to.placement {
            Placement::Pool => {
                let pool = self.connect(&to.server, None).await?;
                applied_to(&pool, &to.target(leg.tenant)?, migrations)
                    .await?
                    .versions
            }
            Placement::Schema(_) | Placement::Database(_) => migrations
                .migrations()
                .iter()
                .map(|migration| migration.version())
                .collect(),
        };
        if source_versions != target_versions {
            return Err(Error::VersionMismatch {
                id: leg.tenant,
                from: highest(&source_versions),
                to: highest(&target_versions),
            });
        }
        let mut migrated = Vec::new();
        if let Placement::Database(database) = &to.placement {
            migrated.extend(
                self.create_database(&to.server, database, migrations)
                    .await?,
            );
        }
        if to.placement != Placement::Pool {
            let client = self.connect(&to.server, to.database()).await?;
            let target = to.target(leg.tenant)?;
            migrated.push(migrate_one(&client, &target, migrations, self.grant_roles()).await?);
        }
        let main = self.connect(MAIN_SERVER, None).await?;
        record_state(&main, &migrated).await
    }

    /// Removes `record`'s copy at `place`: its own schema (with what its
    /// version table recorded of it) or database (and that target's
    /// migration state in the registry), or its rows in the shared
    /// pool's tables of that server. Its residency there stays, refusing
    /// its writes.
    pub(crate) async fn remove_copy(
        &self,
        main: &Client,
        record: &TenantRecord,
        place: &Place,
    ) -> Result<(), Error> {
        let server = self.connect(&place.server, None).await?;
        match &place.placement {
            Placement::Pool => {
                let tables = purge::tenant_tables_in(&server, &place.schema()?).await?;
                purge::delete_rows(
                    &server,
                    &tables,
                    record.id,
                    self.erase_batch_rows(),
                    &|_| {},
                )
                .await?;
            }
            Placement::Schema(schema) => {
                server
                    .batch_execute(&format!(
                        "DROP SCHEMA IF EXISTS {} CASCADE",
                        schema.quoted()
                    ))
                    .await?;
                forget_applied(&server, &place.target(record.id)?).await?;
            }
            Placement::Database(database) => {
                server
                    .batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        database.quoted()
                    ))
                    .await?;
            }
        }
        registry::forget_own_target(main, &place.as_record(record)).await
    }
}
