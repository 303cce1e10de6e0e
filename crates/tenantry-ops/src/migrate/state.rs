//! Recording each target's state in the registry's `migration_state` (see
//! [`registry`](crate::registry)) after a run or a provisioning.

use tenantry_query::Identifier;
use tokio_postgres::GenericClient;

use super::{Outcome, TargetReport};
use crate::Error;
use tenantry_postgres::contract::CONTROL_SCHEMA;

/// Records each target's highest applied version and failure (or success,
/// which clears the failure) in `migration_state`, in one statement that
/// writes only the targets whose state changed: a run that finds
/// everything current writes nothing. An unknown version (a target that
/// could not be read) keeps the one recorded before. Dry runs are not
/// recorded.
pub(crate) async fn record_state(
    client: &impl GenericClient,
    reports: &[TargetReport],
) -> Result<(), Error> {
    let mut columns = StateColumns::default();
    for report in reports {
        let (failed_version, failure) = match &report.outcome {
            Outcome::Pending(_) => continue,
            Outcome::Current | Outcome::Applied(_) => (None, None),
            Outcome::Failed { version, error, .. } => (Some(*version), Some(error.clone())),
            Outcome::Changed(migration) => {
                (Some(migration.version), Some(report.outcome.to_string()))
            }
        };
        let target = &report.target;
        columns.sets.push(target.set.as_str());
        columns.servers.push(&target.server);
        columns
            .databases
            .push(target.database.as_ref().map_or("", Identifier::as_str));
        columns.schemas.push(target.schema.as_str());
        columns.versions.push(report.schema_version);
        columns.failed_versions.push(failed_version);
        columns.failures.push(failure);
    }
    if columns.sets.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {CONTROL_SCHEMA}.migration_state AS m
             (set_name, server, database_name, schema_name, schema_version, failed_version, failure, failed_at)
         SELECT DISTINCT ON (r.set_name, r.server, r.database_name, r.schema_name)
                r.set_name, r.server, r.database_name, r.schema_name, r.schema_version,
                r.failed_version, r.failure, CASE WHEN r.failure IS NOT NULL THEN now() END
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
             AS r (set_name, server, database_name, schema_name, schema_version, failed_version, failure)
         LEFT JOIN {CONTROL_SCHEMA}.migration_state AS old
             USING (set_name, server, database_name, schema_name)
         WHERE old.set_name IS NULL OR r.failure IS NOT NULL OR old.failure IS NOT NULL
             OR old.schema_version IS DISTINCT FROM coalesce(r.schema_version, old.schema_version)
         ON CONFLICT (set_name, server, database_name, schema_name) DO UPDATE SET
             schema_version = coalesce(excluded.schema_version, m.schema_version),
             failed_version = excluded.failed_version,
             failure = excluded.failure,
             failed_at = excluded.failed_at,
             recorded_at = now()"
    );
    client
        .execute(
            &sql,
            &[
                &columns.sets,
                &columns.servers,
                &columns.databases,
                &columns.schemas,
                &columns.versions,
                &columns.failed_versions,
                &columns.failures,
            ],
        )
        .await?;
    Ok(())
}

/// The targets' states, one array per column of `migration_state`.
#[derive(Default)]
struct StateColumns<'a> {
    sets: Vec<&'a str>,
    servers: Vec<&'a str>,
    databases: Vec<&'a str>,
    schemas: Vec<&'a str>,
    versions: Vec<Option<i64>>,
    failed_versions: Vec<Option<i64>>,
    failures: Vec<Option<String>>,
}
