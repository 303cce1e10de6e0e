//! The operator (feature `ops`): migrations, provisioning, suspension, erasure, relocation, the audit.
//!
//! What creates schemas and databases runs as a privileged role, apart from
//! the application: the [`Operator`], exported as [`tenantry::ops`](crate::ops)
//! behind the `ops` feature, so that an application that only queries does
//! not link it:
//!
//! ```toml
//! [dependencies]
//! tenantry = { version = "0.1", features = ["ops"] }
//! ```
//!
//! Run it from a deploy step, an admin service or the `tenantry` command
//! (see [`cli`](super::cli)), never with the application's credentials.
//!
//! # The operator's role and servers
//!
//! [`Operator::new`] takes a [`Config`](crate::Config) naming every server,
//! with the credentials of a role that owns the schemas, may create
//! databases, and is a superuser or has `BYPASSRLS` (data migrations must
//! see every tenant's rows; one that may not bypass the policies fails
//! rather than silently touching no row). [`Operator::grant_to`] names the
//! application's role, to which every migration run grants what it needs.
//!
//! ```no_run
//! use tenantry::Config;
//! use tenantry::ops::Operator;
//!
//! # fn make() -> Result<Operator, tenantry::ops::Error> {
//! let operator = Operator::new(
//!     Config::new("postgres://owner@main.internal/saas")?
//!         .server("eu-1", "postgres://owner@eu-1.internal/saas")?,
//! )
//! .grant_to("app")?;
//! # Ok(operator) }
//! ```
//!
//! [`Operator::shared_schema`] (default `shared`), [`Operator::template_database`]
//! (default `tenantry_template`) and [`Operator::fence_wait`] (default 10 s)
//! change the rest.
//!
//! # Migrations
//!
//! Migrations come in two sets of `<version>_<name>.sql` files: `shared`,
//! the global tables, applied to the shared schema of the main server; and
//! `tenant`, the tables of tenant-scoped entities, applied to every tenant
//! target: the pool's tables of every server, each server's template
//! database, every tenant schema and every tenant database. A migration
//! names tables without a schema (it runs with `search_path` set to its
//! target's), and isolates each tenant table with the helpers every
//! migrated database holds:
//!
//! ```sql
//! -- examples/migrations/tenant/0001_create_tasks.sql
//! CREATE TABLE tasks (
//!     tenant_id uuid NOT NULL,
//!     id uuid NOT NULL,
//!     title text NOT NULL
//! );
//! SELECT tenantry.tenant_key('tasks', 'id');  -- PRIMARY KEY (tenant_id, id)
//! SELECT tenantry.isolate_table('tasks');     -- row-level security, forced, and the write fence
//! ```
//!
//! On a Citus cluster (the operator connected to the coordinator), a tenant
//! table is distributed instead, and a global table made a reference table,
//! by helpers that isolate in the order Citus accepts:
//!
//! ```sql
//! SELECT tenantry.tenant_key('tasks', 'id');
//! SELECT tenantry.distribute_table('tasks');  -- by tenant_id, co-located; row-level security on every shard
//! SELECT tenantry.tenant_reference('tasks', '{project_id}', 'projects', '{id}');  -- after both are distributed
//! SELECT tenantry.reference_table('plans');   -- in the shared set: a copy on every node
//! ```
//!
//! Where Citus is not installed (a tenant's own database, the template) or
//! the table is already distributed (in a schema tenant's schema),
//! `distribute_table` only isolates, so one migration set serves every
//! placement. A schema tenant's schema is made a distributed schema
//! (schema-based sharding): its tables live together on one node, and its
//! statements are routed there. Citus refuses triggers on distributed
//! tables, so they have no write fence; `verify` reads each shard's
//! row-level security on its worker instead.
//!
//! [`embed_migrations!`](crate::embed_migrations) embeds a directory of
//! them, relative to the crate's `Cargo.toml`, as a
//! [`MigrationSet`](crate::ops::migrate::MigrationSet), checked and ordered
//! at compile time:
//!
//! ```no_run
//! use tenantry::ops::Migrations;
//! use tenantry::ops::migrate::{MigrateOptions, MigrationSet};
//!
//! /// No global tables yet.
//! static SHARED: MigrationSet = MigrationSet::new(&[]);
//! /// The tenant tables (this repository's hybrid example's).
//! static TENANT: MigrationSet = tenantry::embed_migrations!("examples/migrations/tenant");
//!
//! async fn migrate(operator: &tenantry::ops::Operator) -> Result<(), tenantry::ops::Error> {
//!     let migrations = Migrations { shared: SHARED.clone(), tenant: TENANT.clone() };
//!     let report = operator.migrate(&migrations, MigrateOptions::default()).await?;
//!     for failed in report.failures() {
//!         eprintln!("{}: {:?}", failed.target, failed.outcome);
//!     }
//!     assert!(report.is_success());
//!     Ok(())
//! }
//! ```
//!
//! The macro embeds each file with `include_str!`, so `cargo build` notices
//! a changed or removed file; a procedural macro cannot watch a directory
//! on stable Rust, so for a *new* file to be noticed, the crate needs a
//! build script naming the directory (sqlx asks the same for its
//! `migrate!`):
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     println!("cargo:rerun-if-changed=migrations");
//! }
//! ```
//!
//! A build script that prints any `rerun-if-changed` line replaces Cargo's
//! default of rerunning it when any file of the package changes, so name
//! there whatever else it reads.
//!
//! [`Operator::migrate`] applies the registry's own migrations, then the
//! shared set, then the tenant set on every target, each migration in its
//! own transaction under the target's advisory lock, with bounded
//! concurrency ([`MigrateOptions`](crate::ops::migrate::MigrateOptions):
//! `concurrency`, and `dry_run` to report what is pending). A failing target
//! is reported and the others go on; re-running applies only what is
//! pending. The [`MigrationReport`](crate::ops::migrate::MigrationReport)
//! has one line per target ([`Outcome`](crate::ops::migrate::Outcome):
//! current, pending, applied, failed or changed);
//! [`Operator::migrate_with_progress`] reports each target as it finishes.
//!
//! Each target records a checksum of every migration it applied, of the
//! file's exact bytes (pin the line endings of `.sql` files, for instance
//! `*.sql text eol=lf` in `.gitattributes`). A migration edited afterwards
//! is an error for that target, and nothing more is applied there until the
//! file is restored; an applied version the set no longer has is a warning
//! ([`TargetReport::unknown`](crate::ops::migrate::TargetReport::unknown)).
//! After each run the registry records every tenant's schema version and
//! last failure, which `tenantry tenants list` and [`Operator::tenants`]
//! show.
//!
//! A table created outside the migrations can be isolated with
//! [`ops::rls::isolate_table`](crate::ops::rls::isolate_table), as the
//! quickstart does.
//!
//! # Provisioning
//!
//! [`Operator::provision`] creates a tenant: its registry row (status
//! `provisioning`, never served), its schema or database (a database tenant
//! is copied from its server's template database, kept migrated), the
//! tenant migrations, its residency (which fences its writes), and last the
//! status `active`. It is idempotent: called again after a crash part-way,
//! with the same slug, placement and server (a new [`NewTenant`] will do),
//! it completes what is missing under the id the tenant was given first.
//! [`Operator::abandon_provisioning`] (by id or slug) instead removes what a
//! provisioning that died made: its schema or database, its rows in its
//! server's pool and shared tables (a seed may have written some), its
//! residency and its registry row; a tenant past provisioning is
//! `ops::Error::NotProvisioning` and nothing goes. A server that cannot be
//! reached fails the call before anything is written.
//!
//! ```no_run
//! use tenantry::TenantRecord;
//! use tenantry::ops::migrate::MigrationSet;
//! use tenantry::ops::{NewTenant, Operator, PlacementKind};
//!
//! async fn onboard(
//!     operator: &Operator,
//!     tenant_migrations: &MigrationSet,
//! ) -> Result<Vec<TenantRecord>, tenantry::ops::Error> {
//!     let acme = NewTenant::new("acme", PlacementKind::Pool);
//!     let globex = NewTenant::new("globex", PlacementKind::Schema).with_plan("pro");
//!     let initech = NewTenant::new("initech", PlacementKind::Database).on_server("eu-1");
//!     let mut records = Vec::new();
//!     for tenant in [acme, globex, initech] {
//!         records.push(operator.provision(&tenant, tenant_migrations).await?);
//!     }
//!     Ok(records) // each with its id, for `db.tenant(id)`
//! }
//! ```
//!
//! A slug is lower-case letters, digits and `_`, starting with a letter, at
//! most 40 characters: it names the tenant's schema or database,
//! `tenant_<slug>`. [`Operator::provision_with`] also runs a
//! [`Seed`](crate::ops::Seed) once for its initial rows: the seed gets a
//! [`TenantTransaction`](crate::TenantTransaction) of the new tenant and
//! builds them with the builder, committed with the seed's marker.
//! [`Operator::provision_with_progress`] reports each
//! [`ProvisionStep`](crate::ops::ProvisionStep) as it ends (registered,
//! database created, migrated, writes admitted, seeded, active), for a
//! progress bar.
//!
//! # Suspending and resuming
//!
//! [`Operator::suspend`] refuses a tenant's writes in its placement from
//! then on, then marks it suspended in the registry, which every process's
//! cache drops; [`Operator::resume`] undoes it. Each takes a
//! [`Reason`](crate::ops::Reason) (who asks, why, and an optional reference),
//! recorded with the change in the registry's append-only
//! `status_changes` table; the last one is the record's `last_change`, and
//! `tenantry tenants list` shows it. The change waits for the
//! tenant's transactions that have written, at most the fence wait, and
//! fails with [`ops::Error::FenceTimeout`](crate::ops::Error::FenceTimeout)
//! (changing nothing) past it. See
//! [placements](super::placements#suspension-and-the-write-fence) for what
//! the application sees.
//!
//! ```no_run
//! # async fn pause(operator: &tenantry::ops::Operator, id: tenantry::TenantId) -> Result<(), tenantry::ops::Error> {
//! use tenantry::ops::Reason;
//! let why = Reason::new("billing", "invoice 2024-117 unpaid").with_reference("BILL-117");
//! let record = operator.suspend(id, &why).await?;
//! assert_eq!(record.status, tenantry::TenantStatus::Suspended);
//! let change = record.last_change.expect("recorded with the change");
//! assert_eq!((change.actor.as_str(), change.reason.as_str()), ("billing", "invoice 2024-117 unpaid"));
//! operator.resume(id, &Reason::new("billing", "paid")).await?;
//! # Ok(()) }
//! ```
//!
//! # Erasing
//!
//! [`Operator::erase`] erases a tenant in any placement and proves it. It
//! fences the tenant first (its writes refused after those under way; every
//! handle, old or new, then gets [`Error::TenantErased`](crate::Error::TenantErased)),
//! drops its own schema or database, and deletes its rows from every table
//! with the `tenant_id` column of every server's own database (the pool's
//! and the shared tables that refer to a tenant), and the rows of tables
//! without the column whose foreign keys lead to those, directly or through
//! another such table (a `shared.payments` row of one of the tenant's
//! invoices, and that payment's receipts), all found from the catalog,
//! children before parents, in batches of [`Operator::erase_batch`] rows
//! that commit on their own. A key declared `ON DELETE SET NULL` or `SET
//! DEFAULT` says its row outlives its target: the row stays, without the
//! reference. It then counts what is left in each of those
//! tables on every server and checks that the schema or database is gone,
//! and writes an [`ErasureRecord`](crate::ops::ErasureRecord) (tenant,
//! placement, servers, every check with its count, when, who, why, and a
//! SHA-256 digest of it all) to the registry's `erasures` table, which no
//! role may change. Anything left is `ops::Error::ErasureIncomplete`, and no
//! record is written. Killed at any point, it finishes when run again (the
//! reason first given is kept, once the fence is up); erased already, it returns the record. The
//! tenant's registry row is its tombstone: it cannot be changed or removed,
//! and its id and slug are never provisioned again.
//!
//! ```no_run
//! # async fn forget(operator: &tenantry::ops::Operator, id: tenantry::TenantId) -> Result<(), tenantry::ops::Error> {
//! use tenantry::ops::Reason;
//! let why = Reason::new("dpo@example.com", "right to erasure").with_reference("REQ-17");
//! let proof = operator.erase(id, &why).await?;
//! assert!(proof.checks.iter().all(|check| check.remaining == 0));
//! assert!(proof.is_intact()); // the digest matches the fields
//! # Ok(()) }
//! ```
//!
//! # Relocating
//!
//! [`Operator::relocate`] moves a tenant to another placement or server
//! ([`Destination`](crate::ops::Destination): pool, schema or database, on
//! any configured server) as an operation, with a resumable state machine
//! recorded in the registry's `relocations` table (see
//! [`ops::relocate`](crate::ops::relocate)). The destination is made by
//! provisioning's own code and must be at the source's schema version
//! (`ops::Error::VersionMismatch` otherwise, before anything is made). Every
//! table of the tenant's placement is copied with binary `COPY`, parents
//! first, from one snapshot, and verified per table (row count and a digest
//! computed by each server); then its writes are fenced at the source
//! (writes get [`Error::TenantMoving`](crate::Error::TenantMoving), reads go
//! on), what changed meanwhile is copied again and verified, and the
//! registry flips: handles made before get
//! [`Error::TenantMoved`](crate::Error::TenantMoved), new ones go to the new
//! place, and the source refuses the tenant's writes for good. A copy that
//! does not verify, or with a row referring to one the destination lacks,
//! rolls the move back (`ops::Error::VerificationFailed`,
//! `ops::Error::BrokenReference`; the tenant untouched). The report gives the window the tenant's writes
//! were refused. The source copy is kept until
//! [`Operator::finish_relocation`] (or [`Destination::dropping_source`]):
//! until then [`Operator::rollback_relocation`] moves the tenant back with
//! what it wrote since. Killed at any step, `relocate` run again goes on;
//! [`Operator::relocation`] says where the last move stands. A tenant with a
//! move open is not erased (`ops::Error::RelocationInProgress`): its second
//! copy would be left behind.
//!
//! ```no_run
//! # async fn rehome(operator: &tenantry::ops::Operator, id: tenantry::TenantId, migrations: &tenantry::ops::migrate::MigrationSet) -> Result<(), tenantry::ops::Error> {
//! use tenantry::ops::{Destination, PlacementKind};
//! let to = Destination::new(PlacementKind::Database).on_server("eu-1");
//! let report = operator.relocate(id, &to, migrations).await?;
//! println!("writes paused for {:?}", report.blocked);
//! operator.finish_relocation(id).await?; // drops the source copy
//! # Ok(()) }
//! ```
//!
//! # Verifying
//!
//! [`Operator::verify`] audits the catalog of every database of the
//! deployment (each server's own, each template, every tenant database) for
//! what would let one tenant reach another's rows: tables without forced
//! row-level security or without both policy clauses, keys and constraints
//! without `tenant_id`, owner-rights and materialized views, `SECURITY
//! DEFINER` functions an application role can call, privileges row-level
//! security does not restrict, unfenced tables, readable registry tables,
//! application roles that are missing or bypass it. Each
//! [`Finding`](crate::ops::verify::Finding) names its object and the fix.
//! Run it in CI:
//!
//! ```no_run
//! use tenantry::ops::verify::VerifyOptions;
//!
//! # async fn audit(operator: &tenantry::ops::Operator) -> Result<(), tenantry::ops::Error> {
//! let report = operator.verify(&VerifyOptions::default()).await?;
//! for database in &report.databases {
//!     for finding in &database.findings {
//!         eprintln!("{}/{}: {finding}", database.server, database.database);
//!     }
//! }
//! assert!(report.is_clean(), "{} isolation problems", report.count());
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! The operator's [`Error`](crate::ops::Error) wraps the runtime's
//! ([`ops::Error::Runtime`](crate::ops::Error::Runtime), the same
//! classification as the application's [`Error`](crate::Error)) and adds
//! its own: a slug taken, a tenant that exists elsewhere, a fence timeout,
//! a relocation refused or rolled back, a database that could not be audited.
//!
//! [`Operator`]: crate::ops::Operator
//! [`Operator::new`]: crate::ops::Operator::new
//! [`Operator::grant_to`]: crate::ops::Operator::grant_to
//! [`Operator::shared_schema`]: crate::ops::Operator::shared_schema
//! [`Operator::template_database`]: crate::ops::Operator::template_database
//! [`Operator::fence_wait`]: crate::ops::Operator::fence_wait
//! [`Operator::migrate`]: crate::ops::Operator::migrate
//! [`Operator::migrate_with_progress`]: crate::ops::Operator::migrate_with_progress
//! [`Operator::tenants`]: crate::ops::Operator::tenants
//! [`Operator::provision`]: crate::ops::Operator::provision
//! [`Operator::provision_with`]: crate::ops::Operator::provision_with
//! [`Operator::provision_with_progress`]: crate::ops::Operator::provision_with_progress
//! [`Operator::abandon_provisioning`]: crate::ops::Operator::abandon_provisioning
//! [`Operator::erase`]: crate::ops::Operator::erase
//! [`Operator::erase_batch`]: crate::ops::Operator::erase_batch
//! [`Operator::suspend`]: crate::ops::Operator::suspend
//! [`Operator::resume`]: crate::ops::Operator::resume
//! [`Operator::verify`]: crate::ops::Operator::verify
//! [`Operator::relocate`]: crate::ops::Operator::relocate
//! [`Operator::finish_relocation`]: crate::ops::Operator::finish_relocation
//! [`Operator::rollback_relocation`]: crate::ops::Operator::rollback_relocation
//! [`Operator::relocation`]: crate::ops::Operator::relocation
//! [`Destination::dropping_source`]: crate::ops::Destination::dropping_source
//! [`NewTenant`]: crate::ops::NewTenant
//! [`NewTenant::with_id`]: crate::ops::NewTenant::with_id
