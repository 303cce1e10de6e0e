//! An audit of the database catalog for what would let one tenant reach
//! another's rows: the check to run in CI.
//!
//! A table is tenant-scoped when it has the tenant column. For each one,
//! [`verify`] reports row-level security that is off or not forced, missing
//! policy clauses, a missing index led by the tenant column, foreign keys,
//! unique keys and exclusion constraints that ignore the tenant column,
//! trigger functions whose tables depend on the caller's `search_path`,
//! owner-rights views, and privileges row-level security does not restrict;
//! in the database, `SECURITY DEFINER` functions that bypass it and registry
//! tables the application can read; and for each application role, one that
//! does not exist or that row-level security does not restrict.
//!
//! [`verify`] audits the one database a client is connected to;
//! [`Operator::verify`](crate::Operator::verify) audits every database of a
//! deployment: each server's own, each server's template, and every tenant
//! database.
//!
//! ```no_run
//! # async fn audit(operator: &tenantry_ops::Operator) -> Result<(), tenantry_ops::Error> {
//! # use tenantry_ops::verify::VerifyOptions;
//! let report = operator.verify(&VerifyOptions::default()).await?;
//! for database in &report.databases {
//!     for finding in &database.findings {
//!         eprintln!("{}/{}: {finding}", database.server, database.database);
//!     }
//! }
//! assert!(report.is_clean(), "tenant isolation has {} problems", report.count());
//! # Ok(())
//! # }
//! ```

mod audit;
mod catalog;
mod commands;
mod deployment;
mod findings;
mod messages;
mod queries;
mod shards;
mod unqualified;

use crate::Error;
use catalog::Catalog;
pub use commands::{PolicyCommand, TablePrivilege};
pub use deployment::{DatabaseFindings, DatabaseKind, VerifyReport};
pub use findings::Finding;
use findings::sort;

/// What [`verify`] checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The schemas holding tenant-scoped tables (default: none given, which
    /// means every schema but the system ones and tenantry's own: the pool's,
    /// the shared one, each schema tenant's, and any other).
    pub schemas: Vec<String>,
    /// The column that makes a table tenant-scoped (default: `tenant_id`).
    pub tenant_column: String,
    /// The roles the application connects as (default: none). Each must exist
    /// and be restricted by row-level security, and the policies must apply
    /// to each; with none given, only policies for `PUBLIC` count.
    pub app_roles: Vec<String>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            schemas: Vec::new(),
            tenant_column: "tenant_id".to_owned(),
            app_roles: Vec::new(),
        }
    }
}

/// Audits the catalog of the database `client` is connected to: for every
/// tenant-scoped table of `options.schemas` (one with a column named
/// `options.tenant_column`) and every role of `options.app_roles`, the
/// problems found, sorted by table (then by check), role findings last. An
/// empty list means the checks pass.
///
/// Reads the catalog (`pg_class`, `pg_policy`, `pg_index`, `pg_constraint`,
/// `pg_rewrite`, `pg_roles`, ...) with a fixed number of queries sent
/// together, whatever the number of tables; any role can run it. The checks,
/// per table:
///
/// * row-level security enabled ([`Finding::RowSecurityDisabled`]) and forced
///   ([`Finding::RowSecurityNotForced`]);
/// * in a database with tenantry's write fence (see `tenantry.isolate_table`),
///   the fence on every insert, update and delete
///   ([`Finding::WritesNotFenced`]), except on a table Citus distributes
///   (Citus refuses triggers on those);
/// * on a Citus coordinator, row-level security enabled and forced, with a
///   policy, on every shard of a distributed table, as the worker holding it
///   reports ([`Finding::ShardNotIsolated`]);
/// * permissive policies applying to the application roles (through `PUBLIC`
///   or a role whose privileges each one has) that together give a `USING`
///   clause for `SELECT`, `UPDATE` and `DELETE` ([`Finding::MissingUsing`])
///   and a `WITH CHECK` clause for `INSERT` and `UPDATE`
///   ([`Finding::MissingWithCheck`]): one `ALL` policy with both, or one per
///   command;
/// * a valid, non-partial index whose first column is the tenant column
///   ([`Finding::NoTenantIndex`]);
/// * every foreign key to a table that has the tenant column (in any schema,
///   the table itself included) pairs the tenant columns
///   ([`Finding::ForeignKeyWithoutTenant`]);
/// * every primary key, unique constraint and unique index has the tenant
///   column among its key columns ([`Finding::UniqueWithoutTenant`]; a key
///   that only mentions it inside an expression is reported too);
/// * every exclusion constraint compares the tenant column with `=`
///   ([`Finding::ExclusionWithoutTenant`]);
/// * every function its triggers run either sets its own `search_path` or
///   names no relation of the database without a schema
///   ([`Finding::UnpinnedTriggerFunction`], which states the rule);
/// * every view that reads it runs with its caller's rights, and no
///   materialized view stores it ([`Finding::ViewBypassesRowSecurity`]);
/// * no application role can use `TRUNCATE`, `REFERENCES` or `TRIGGER` on
///   it, directly, through `PUBLIC` or through a role it is a member of
///   ([`Finding::BypassingPrivilege`]).
///
/// And in the whole database: no `SECURITY DEFINER` function (outside the
/// system schemas) whose owner bypasses row-level security (a superuser, a
/// `BYPASSRLS` role, the owner of a tenant-scoped table) can be called by an
/// application role: executed, directly or through `PUBLIC`, in a schema it
/// may use ([`Finding::DefinerFunction`]; the registry's lookup function,
/// which returns one tenant's row, and the one that says whether it records
/// any tenant are meant to be such); and no application
/// role holds any privilege on the registry's tables
/// ([`Finding::RegistryAccessible`]).
///
/// A partition is a table of its own (it can be queried directly), but a
/// foreign key or unique index it inherits is reported once, on its parent.
pub async fn verify(
    client: &tokio_postgres::Client,
    options: &VerifyOptions,
) -> Result<Vec<Finding>, Error> {
    let catalog = Catalog::read(
        client,
        &options.schemas,
        &options.tenant_column,
        &options.app_roles,
    )
    .await?;
    let mut findings = audit::audit(&catalog, options);
    sort(&mut findings);
    findings.dedup();
    Ok(findings)
}
