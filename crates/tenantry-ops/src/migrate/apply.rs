//! Applying the pending migrations of one target, each in its own
//! transaction, or outside any when it is marked so.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tenantry_query::Identifier;
use tokio_postgres::Client;

use super::{AppliedMigration, Migration, MigrationSet, SetKind, Target};
use crate::transaction::in_transaction;
use tenantry_postgres::registry;

use crate::Error;

/// What one target has applied, compared with the set being run.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Every version the target has applied.
    pub(crate) versions: HashSet<i64>,
    /// Applied versions whose SQL differs from the set's, by version.
    pub(crate) changed: Vec<AppliedMigration>,
    /// Applied versions the set does not have, by version.
    pub(crate) unknown: Vec<AppliedMigration>,
}

/// What each target of `kind` in the connected database has applied,
/// compared with `set` by checksum on the server, in one query: how
/// "nothing to do" is decided without a round trip per target, and how a
/// migration edited after it was applied is noticed. Only `target`'s row
/// when it is given.
pub(crate) async fn survey_applied(
    client: &Client,
    kind: SetKind,
    set: &MigrationSet,
    target: Option<&str>,
) -> Result<HashMap<String, Applied>, Error> {
    let (versions, checksums): (Vec<i64>, Vec<String>) = set
        .migrations()
        .iter()
        .map(|migration| (migration.version(), migration.checksum()))
        .unzip();
    let rows = client
        .query(
            "SELECT m.target,
                    array_agg(m.version),
                    array_agg(m.version ORDER BY m.version) FILTER (WHERE m.checksum <> s.checksum),
                    array_agg(m.name ORDER BY m.version) FILTER (WHERE m.checksum <> s.checksum),
                    array_agg(m.version ORDER BY m.version) FILTER (WHERE s.version IS NULL),
                    array_agg(m.name ORDER BY m.version) FILTER (WHERE s.version IS NULL)
             FROM tenantry.migrations AS m
             LEFT JOIN unnest($2::bigint[], $3::text[]) AS s (version, checksum)
                 ON s.version = m.version
             WHERE m.set_name = $1 AND ($4::text IS NULL OR m.target = $4)
             GROUP BY m.target",
            &[&kind.as_str(), &versions, &checksums, &target],
        )
        .await?;
    // Columns `column` and `column + 1`: versions and their names.
    let migrations = |row: &tokio_postgres::Row, column: usize| -> Vec<AppliedMigration> {
        let versions: Option<Vec<i64>> = row.get(column);
        let names: Option<Vec<String>> = row.get(column + 1);
        versions
            .unwrap_or_default()
            .into_iter()
            .zip(names.unwrap_or_default())
            .map(|(version, name)| AppliedMigration { version, name })
            .collect()
    };
    Ok(rows
        .iter()
        .map(|row| {
            let versions: Vec<i64> = row.get(1);
            let applied = Applied {
                versions: versions.into_iter().collect(),
                changed: migrations(row, 2),
                unknown: migrations(row, 4),
            };
            (row.get(0), applied)
        })
        .collect())
}

/// What `target` has applied, compared with `set`.
pub(crate) async fn applied_to(
    client: &Client,
    target: &Target,
    set: &MigrationSet,
) -> Result<Applied, Error> {
    let mut applied = survey_applied(client, target.set, set, Some(target.key())).await?;
    Ok(applied.remove(target.key()).unwrap_or_default())
}

/// Why a target's migration failed.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) version: i64,
    pub(crate) applied: Vec<i64>,
    pub(crate) error: Error,
}

/// Applies each of `set`'s migrations not in `applied` to `target`, in
/// order, each under the target's advisory lock, in its own transaction
/// unless it is marked to run outside one; returns the versions applied. A
/// migration another runner applied meanwhile is skipped.
pub(crate) async fn apply_pending(
    client: &Client,
    target: &Target,
    set: &MigrationSet,
    applied: &HashSet<i64>,
    grant_to: &[Identifier],
) -> Result<Vec<i64>, Failure> {
    let mut versions = Vec::new();
    for migration in set.pending(applied) {
        match apply_one(client, target, migration, grant_to).await {
            Ok(true) => versions.push(migration.version()),
            Ok(false) => {}
            Err(error) => {
                return Err(Failure {
                    version: migration.version(),
                    applied: versions,
                    error,
                });
            }
        }
    }
    Ok(versions)
}

/// How long a runner waits before trying again for a target's lock that
/// another holds.
const LOCK_RETRY: Duration = Duration::from_millis(20);

/// Runs `work` under `target`'s advisory lock, which serialises every
/// runner's changes to the target. The session holds it: taken by trying
/// until it is free, released afterwards whatever the outcome (and by the
/// server should the connection be lost). A runner never waits for it
/// inside a statement: a waiting statement holds a snapshot, and work under
/// the lock that waits for every older snapshot in its database (`CREATE
/// INDEX CONCURRENTLY`) would wait for its waiter, which waits for it.
async fn under_target_lock<T>(
    client: &Client,
    target: &Target,
    work: impl AsyncFnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    while !advisory(client, target, "pg_try_advisory_lock").await? {
        tokio::time::sleep(LOCK_RETRY).await;
    }
    let outcome = work().await;
    let unlocked = advisory(client, target, "pg_advisory_unlock").await;
    let value = outcome?;
    unlocked?;
    Ok(value)
}

/// Calls the advisory lock `function` on `target`'s lock; what it returns
/// (whether it took, or released, the lock).
async fn advisory(client: &Client, target: &Target, function: &str) -> Result<bool, Error> {
    let row = client
        .query_one(
            &format!("SELECT {function}(hashtextextended($1, 0))"),
            &[&target.lock_key()],
        )
        .await?;
    Ok(row.get(0))
}

/// Creates `target`'s schema if it is missing, under the target's lock: a
/// runner applying a migration may be creating it in a transaction not yet
/// committed, and a `CREATE SCHEMA IF NOT EXISTS` beside it would fail.
///
/// A schema tenant's schema is made by `tenantry.create_tenant_schema`:
/// on Citus, a distributed schema (see [`crate::citus`]).
pub(crate) async fn create_schema(client: &Client, target: &Target) -> Result<(), Error> {
    let schema = target.schema.quoted();
    let sql = if target.tenant.is_some() && target.database.is_none() {
        // Identifiers hold no quote: they are safe in a literal.
        format!("SELECT tenantry.create_tenant_schema('{}')", target.schema)
    } else {
        format!("CREATE SCHEMA IF NOT EXISTS {schema}")
    };
    under_target_lock(client, target, async || {
        Ok(client.batch_execute(&sql).await?)
    })
    .await
}

/// Applies `migration` unless it is already recorded, under the target's
/// lock; `true` if it ran. It runs, is recorded and makes its grants in one
/// transaction, or, marked to run outside one, runs first and is recorded
/// (and makes its grants) once it has succeeded: if it fails, nothing is
/// recorded, so the next run applies it again.
async fn apply_one(
    client: &Client,
    target: &Target,
    migration: &Migration,
    grant_to: &[Identifier],
) -> Result<bool, Error> {
    under_target_lock(client, target, async || {
        // Only a runner holding the lock records a migration: what this
        // reads, outside any transaction, stays true until it is released.
        if is_recorded(client, target, migration).await? {
            return Ok(false);
        }
        if migration.runs_in_transaction() {
            in_transaction(client, async || {
                enter(client, target, "LOCAL").await?;
                client.batch_execute(migration.sql()).await?;
                record(client, target, migration, grant_to).await
            })
            .await?;
        } else {
            run_outside_transaction(client, target, migration).await?;
            in_transaction(client, async || {
                record(client, target, migration, grant_to).await
            })
            .await?;
        }
        Ok(true)
    })
    .await
}

/// Runs `migration`, marked to run outside a transaction (as `CREATE INDEX
/// CONCURRENTLY` must), with the session's `search_path` and `row_security`
/// set for it and reset after. A failure undoes nothing: whatever it did
/// before failing stays, and the error says so.
async fn run_outside_transaction(
    client: &Client,
    target: &Target,
    migration: &Migration,
) -> Result<(), Error> {
    enter(client, target, "SESSION").await?;
    let ran = client.batch_execute(migration.sql()).await;
    let reset = client
        .batch_execute("RESET search_path; RESET row_security")
        .await;
    ran.map_err(|error| Error::NonTransactionalMigrationFailed {
        version: migration.version(),
        name: migration.name().to_owned(),
        source: Box::new(error.into()),
    })?;
    Ok(reset?)
}

/// Whether `target` has recorded `migration` (another runner applied it
/// since the target was surveyed); an error if it recorded other SQL.
async fn is_recorded(
    client: &Client,
    target: &Target,
    migration: &Migration,
) -> Result<bool, Error> {
    let recorded = client
        .query_opt(
            "SELECT checksum FROM tenantry.migrations WHERE set_name = $1 AND target = $2 AND version = $3",
            &[&target.set.as_str(), &target.key(), &migration.version()],
        )
        .await?;
    match recorded {
        Some(row) if row.get::<_, String>(0) != migration.checksum() => {
            Err(Error::MigrationChanged {
                version: migration.version(),
                name: migration.name().to_owned(),
            })
        }
        recorded => Ok(recorded.is_some()),
    }
}

/// Creates `target`'s schema if missing and sets, for the transaction
/// (`scope` `LOCAL`) or the session (`SESSION`), what a migration runs
/// with: `search_path` the target's schema, and `row_security` off, so a
/// data migration on a table whose row-level security is forced sees every
/// row (the operator may bypass it) or fails loudly (it may not), instead
/// of silently touching no row.
async fn enter(client: &Client, target: &Target, scope: &str) -> Result<(), Error> {
    let schema = target.schema.quoted();
    Ok(client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             SET {scope} search_path = {schema};
             SET {scope} row_security = off"
        ))
        .await?)
}

/// Records `migration` as applied to `target`, and grants `grant_to` what
/// the application needs of what it created.
async fn record(
    client: &Client,
    target: &Target,
    migration: &Migration,
    grant_to: &[Identifier],
) -> Result<(), Error> {
    client
        .execute(
            "INSERT INTO tenantry.migrations (target, set_name, version, name, checksum) VALUES ($1, $2, $3, $4, $5)",
            &[
                &target.key(),
                &target.set.as_str(),
                &migration.version(),
                &migration.name(),
                &migration.checksum(),
            ],
        )
        .await?;
    grant(client, target, grant_to).await
}

/// Forgets what `target` applied, once its schema is dropped: a schema made
/// again under its name is migrated from the start.
pub(crate) async fn forget_applied(client: &Client, target: &Target) -> Result<(), Error> {
    client
        .execute(
            "DELETE FROM tenantry.migrations WHERE set_name = $1 AND target = $2",
            &[&target.set.as_str(), &target.key()],
        )
        .await?;
    Ok(())
}

/// Whether the connected database has a version table yet.
pub(crate) async fn has_version_table(client: &Client) -> Result<bool, Error> {
    let row = client
        .query_one("SELECT to_regclass('tenantry.migrations') IS NOT NULL", &[])
        .await?;
    Ok(row.get(0))
}

/// Grants `roles` what the application needs on `target`'s schema: read and
/// write on data tables; on the registry, only its lookup function (which
/// returns one tenant's row) and whether it records any tenant, never its
/// tables. Never `TRUNCATE`, `REFERENCES` or `TRIGGER`, which row-level
/// security does not restrict.
/// Functions are not executable by `PUBLIC` in a migrated database (see
/// `bootstrap`): the roles may execute those of the schema that run with
/// their caller's rights, never a `SECURITY DEFINER` one, which a migration
/// grants itself when it means to.
pub(crate) async fn grant(
    client: &Client,
    target: &Target,
    roles: &[Identifier],
) -> Result<(), Error> {
    if roles.is_empty() {
        return Ok(());
    }
    let schema = target.schema.quoted();
    let grantees = roles
        .iter()
        .map(Identifier::quoted)
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!("GRANT USAGE ON SCHEMA {schema} TO {grantees};");
    match target.set {
        SetKind::Control => {
            // Revoked: the SELECT earlier versions granted.
            sql.push_str(&format!(
                "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantees};"
            ));
            for function in registry::application_functions() {
                let exists = client
                    .query_one("SELECT to_regprocedure($1) IS NOT NULL", &[&function])
                    .await?;
                if exists.get(0) {
                    sql.push_str(&format!(
                        "GRANT EXECUTE ON ROUTINE {function} TO {grantees};"
                    ));
                }
            }
        }
        SetKind::Shared | SetKind::Tenant => {
            sql.push_str(&format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {grantees};
                 GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {grantees};"
            ));
            let routines = invoker_routines(client, &target.schema).await?;
            if !routines.is_empty() {
                sql.push_str(&format!(
                    "GRANT EXECUTE ON ROUTINE {} TO {grantees};",
                    routines.join(", ")
                ));
            }
        }
    }
    Ok(client.batch_execute(&sql).await?)
}

/// The functions and procedures of `schema` that run with their caller's
/// rights, each as `schema.name(argument types)`.
async fn invoker_routines(client: &Client, schema: &Identifier) -> Result<Vec<String>, Error> {
    let rows = client
        .query(
            "SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
             FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = $1 AND NOT p.prosecdef",
            &[&schema.as_str()],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}
