//! Migrations fanned out to every target: the registry (control set), the
//! global tables (shared set), and the tables of tenant-scoped entities
//! (tenant set) in the pool's shared tables, every tenant schema, every
//! tenant database and each server's template database.
//!
//! Each target records what it has applied in `tenantry.migrations` of its
//! database (one row per target, set and version, with a checksum of the
//! SQL), so deciding that a server's schema tenants are all current is one
//! query, not one per tenant. That query also compares every applied
//! version's checksum with the set's: a migration edited after a target
//! applied it is [`Outcome::Changed`], an error for that target (nothing
//! more is applied to it until the file is restored or the target is
//! repaired by hand), as sqlx and refinery do. An applied version the set
//! does not have (a file removed, or a newer build that ran first) is a
//! warning, listed in [`TargetReport::unknown`]: it is neither run nor
//! undone, and the target's other pending migrations are applied. Each
//! migration runs in its own transaction under the target's advisory lock,
//! so two runners never apply one twice; a target that fails is reported
//! and the others go on; re-running applies only what is pending: every
//! migration of the set the target has not recorded, even one with a lower
//! version than some it has (merged from a branch, say).
//!
//! A migration whose first line is `-- tenantry: no-transaction`
//! ([`NO_TRANSACTION_MARKER`]) runs outside a transaction, for what
//! PostgreSQL refuses to run in one (`CREATE INDEX CONCURRENTLY`). It still
//! runs under the target's advisory lock, and is recorded only once it has
//! succeeded. PostgreSQL runs the statements of one query string as one
//! implicit transaction, so such a file holds one statement. A failure
//! records nothing and undoes nothing ([`Outcome::Failed`], with
//! [`Error::NonTransactionalMigrationFailed`]'s message): the next run
//! applies the migration again over whatever it left (a failed `CREATE
//! INDEX CONCURRENTLY` leaves an invalid index, which `IF NOT EXISTS` would
//! take for done: drop it first), so write it to be run again, e.g. `CREATE
//! INDEX CONCURRENTLY IF NOT EXISTS`. The marker is part of the file, so of
//! its checksum.
//!
//! [`Error::NonTransactionalMigrationFailed`]: crate::Error::NonTransactionalMigrationFailed
//!
//! After a run (not a dry run), every target's highest applied version and
//! failure, if any, are recorded on the main server in the registry's
//! `migration_state` (see [`crate::registry`]): one statement, writing only
//! what changed, so a tenant left behind by a failed run is on record (and
//! in `tenantry tenants list`) until a run succeeds there. Tenant targets
//! show on their tenant's registry row; the pool tables' state is shown for
//! the server's pool tenants; the templates', registry's and shared
//! schema's are recorded the same way, for whoever reads the table.
//!
//! Migrations run with `row_security` off, so a data migration on a table
//! under forced row-level security sees every tenant's rows, or fails when
//! the operator's role may not bypass the policies (see [`crate::Operator`]).

mod apply;
mod bootstrap;
mod control;
pub(crate) mod fan_out;
mod migration;
mod report;
mod run;
mod state;
mod target;

pub use crate::set_kind::SetKind;
pub(crate) use apply::{applied_to, apply_pending, create_schema, forget_applied, grant};
pub(crate) use bootstrap::bootstrap;
pub use control::CONTROL_MIGRATIONS;
pub use fan_out::MigrateOptions;
pub use migration::{Migration, MigrationSet};
pub use report::{AppliedMigration, MigrationReport, Outcome, TargetReport};
pub use run::Migrations;
pub(crate) use state::record_state;
pub use target::Target;
pub use tenantry_migration_files::{LoadError, NO_TRANSACTION_MARKER};
