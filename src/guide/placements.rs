//! The registry and placements: where each tenant lives, on which server.
//!
//! # Three placements, one handle
//!
//! Every tenant lives in one [`Placement`], on one of several named servers,
//! and application code is the same for all of them:
//!
//! | placement | rows live in | isolation |
//! |---|---|---|
//! | [`Placement::Pool`] | the shared tables, with `tenant_id` | `tenant_id = $n` on every table **and** row-level security |
//! | [`Placement::Schema`] | the tenant's own schema, `tenant_<slug>` | schema-qualified SQL (`SET LOCAL search_path` for hand-written SQL), and row-level security too |
//! | [`Placement::Database`] | the tenant's own database, on any server | its own connection pool, and row-level security too |
//!
//! Every tenant table keeps its `tenant_id` column in every placement, and
//! the same policies guard it everywhere. What
//! changes is where the statement goes and which tables it names: a schema
//! tenant's statements name its schema, a pool or database tenant's name
//! `public` (in a tenant database, `public` is the tenant's alone).
//!
//! ```
//! use tenantry::prelude::*;
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "tasks", tenant_scoped)]
//! # pub struct Task {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub title: String,
//! # }
//!
//! let id = TenantId::random();
//! let in_pool = TenantScoped::shared(id);
//! let in_schema = TenantScoped::in_schema(id, "tenant_globex")?;
//! let sql = |tenant: &TenantScoped| tenant.select::<Task>().build().map(|s| s.sql().to_owned());
//! assert_eq!(
//!     sql(&in_pool)?,
//!     r#"SELECT "tasks"."id", "tasks"."tenant_id", "tasks"."title" FROM "public"."tasks" WHERE "tasks"."tenant_id" = $1"#
//! );
//! assert_eq!(
//!     sql(&in_schema)?,
//!     r#"SELECT "tasks"."id", "tasks"."tenant_id", "tasks"."title" FROM "tenant_globex"."tasks" WHERE "tasks"."tenant_id" = $1"#
//! );
//! # Ok::<(), tenantry::QueryError>(())
//! ```
//!
//! A connected handle picks its scope from the registry, so the same
//! function serves every tenant, wherever it lives:
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "tasks", tenant_scoped)]
//! # pub struct Task {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub title: String,
//! # }
//! async fn add_task(tenant: &Tenant, title: &str) -> Result<Task, Error> {
//!     let task = NewTask { id: Uuid::new_v4(), title: title.to_owned() };
//!     tenant.insert(task).one().await
//! }
//! ```
//!
//! # Servers and the registry
//!
//! A server is a named PostgreSQL instance: `main`, which
//! [`Config::new`] points at, and any added with [`Config::server`], each
//! the URL of its own database as the same application role.
//! [`Tenantry::tenant`] resolves each tenant through the tenant registry,
//! which the operator keeps in the `tenantry_control` schema of the main
//! server, whenever the main database has one ([`Config::registry`] says so
//! explicitly, and fails to connect without one):
//!
//! ```no_run
//! use tenantry::prelude::*;
//!
//! async fn connect() -> Result<Tenantry, Error> {
//!     let config = Config::new("postgres://app@main.internal/saas")?
//!         .server("eu-1", "postgres://app@eu-1.internal/saas")?
//!         .registry();
//!     Tenantry::connect(config).await
//! }
//!
//! async fn show(db: &Tenantry, id: TenantId) -> Result<(), Error> {
//!     let tenant = db.tenant(id).await?;
//!     println!("{id} lives in {} on {}", tenant.placement(), tenant.server());
//!     Ok(())
//! }
//! ```
//!
//! The application role reads no registry table: it may only execute
//! `tenantry_control.tenant_by_id(id)`, which returns that one tenant's row
//! ([`Tenantry::connect`] fails with [`Error::NoRegistry`] or
//! [`Error::RoutingNotChosen`] until the operator's migrations have created
//! it). The rows are cached in-process and the
//! cache is invalidated by `LISTEN/NOTIFY`, so a change made by the operator
//! reaches every application instance; the listening connection has a
//! heartbeat ([`Config::registry_heartbeat`]), and while it is down every
//! lookup reads the registry instead of the cache.
//!
//! [`Tenantry::tenant`] fails with [`Error::UnknownTenant`] for an id the
//! registry does not have, [`Error::TenantNotActive`] for a tenant that is
//! being provisioned or is suspended ([`Error::TenantErased`] once erased),
//! and
//! [`Error::UnknownServer`] for one on a server that neither the
//! configuration nor the registry names. A tenant being relocated is served where it is until its registry
//! row flips: reads go on, writes get [`Error::TenantMoving`] (try again
//! after its `retry_after`). A handle made before its tenant was suspended
//! or moved is refused at its next statement ([`Error::TenantNotActive`],
//! [`Error::TenantMoved`]): get a new one.
//!
//! With [`Config::pool_only`], there is no lookup: every tenant is a pool
//! tenant of the main server, as in the quickstart; [`Tenantry::connect`]
//! refuses it ([`Error::RegistryInUse`]) once the registry records a tenant
//! (see [`connecting`](super::connecting)).
//!
//! # Servers added at run time
//!
//! Giving a tenant a server of its own need not be a configuration change
//! and a restart of every instance. The operator records the server in the
//! registry, by name and address only (`Operator::add_server`, or
//! `tenantry servers add eu-2 postgres://eu-2.internal/saas`), and applies
//! the tenant migrations to it; from then on tenants can be provisioned or
//! moved there. A running instance that meets a tenant on a server its
//! configuration does not name reads the server's address through
//! `tenantry_control.server_by_name` (the only access its role has), opens
//! a pool for it under its own budget, and keeps it until the registry
//! announces a change to that server. A configured server of the same name
//! wins.
//!
//! The registry holds no secret: a URL with a password is refused. Each
//! process supplies its own credentials through a [`ServerCredentials`]
//! provider ([`Config::server_credentials`]); the default,
//! [`EnvironmentCredentials`], reads `TENANTRY_SERVER_<NAME>_USER` and
//! `TENANTRY_SERVER_<NAME>_PASSWORD` and falls back to the main server's
//! role and password. TLS settings are the main server's unless the
//! recorded URL names its own.
//!
//! # Connections
//!
//! Each server has one pool for its own database ([`Config::pool_size`]),
//! and each tenant database its own small pool ([`Config::database_pool_size`],
//! default 4), opened on first use and closed when idle. All the pools of a
//! server share one connection budget ([`Config::connection_budget`],
//! default four times the pool size): when it is spent, idle connections of
//! the other pools are closed, then calls wait up to the wait timeout, then
//! fail with [`Error::PoolTimeout`]. [`Tenantry::open_connections`] counts
//! a server's open connections.
//!
//! Each connection keeps at most [`Config::statement_cache_size`] prepared
//! statements (default 256), deallocating the least recently used: a schema
//! tenant's statements name its schema, so a connection serving thousands
//! of schema tenants would otherwise hold server memory for each tenant and
//! statement shape.
//!
//! # Suspension and the write fence
//!
//! The operator suspends and resumes tenants (`Operator::suspend`,
//! `Operator::resume`, with the `ops` feature). The change is made in the
//! database first, not only in caches: each migrated database records in
//! `tenantry.residents` which tenants live in it, in which schema, and their
//! status, and every table isolated by `tenantry.isolate_table` has a
//! trigger that checks each write made in a tenant context against it. So,
//! whatever any process's cache says:
//!
//! - a tenant's write outside its own placement (another tenant's schema or
//!   database, or the shared tables when its rows live elsewhere, even by
//!   hand-written SQL) fails with [`Error::OutsidePlacement`];
//! - a write of a tenant that is not active there fails with
//!   [`Error::TenantNotActive`];
//! - once a database records any tenant, the writes of a tenant it does not
//!   record (one of another server, one never provisioned) fail with
//!   [`Error::OutsidePlacement`]; a database that records none (the shared
//!   tables of a pool-only deployment) takes every tenant's.
//!
//! A status change waits for the tenant's transactions that have written
//! (at most the operator's fence wait), and none of them commits a write
//! made after it. Reads are not fenced: they cost nothing more, and the
//! registry's router refuses them once it hears of the change; a process
//! whose listener is down still reads the suspended tenant's rows until its
//! heartbeat notices, but cannot write them.
//!
//! [`Placement`]: crate::Placement
//! [`Placement::Pool`]: crate::Placement::Pool
//! [`Placement::Schema`]: crate::Placement::Schema
//! [`Placement::Database`]: crate::Placement::Database
//! [`Config::new`]: crate::Config::new
//! [`Config::server`]: crate::Config::server
//! [`Config::server_credentials`]: crate::Config::server_credentials
//! [`ServerCredentials`]: crate::ServerCredentials
//! [`EnvironmentCredentials`]: crate::EnvironmentCredentials
//! [`Config::server_credentials`]: crate::Config::server_credentials
//! [`ServerCredentials`]: crate::ServerCredentials
//! [`EnvironmentCredentials`]: crate::EnvironmentCredentials
//! [`Config::registry`]: crate::Config::registry
//! [`Config::pool_only`]: crate::Config::pool_only
//! [`Config::registry_heartbeat`]: crate::Config::registry_heartbeat
//! [`Config::pool_size`]: crate::Config::pool_size
//! [`Config::database_pool_size`]: crate::Config::database_pool_size
//! [`Config::connection_budget`]: crate::Config::connection_budget
//! [`Config::statement_cache_size`]: crate::Config::statement_cache_size
//! [`Tenantry::connect`]: crate::Tenantry::connect
//! [`Tenantry::tenant`]: crate::Tenantry::tenant
//! [`Tenantry::open_connections`]: crate::Tenantry::open_connections
//! [`Error::NoRegistry`]: crate::Error::NoRegistry
//! [`Error::RoutingNotChosen`]: crate::Error::RoutingNotChosen
//! [`Error::RegistryInUse`]: crate::Error::RegistryInUse
//! [`Error::UnknownTenant`]: crate::Error::UnknownTenant
//! [`Error::TenantNotActive`]: crate::Error::TenantNotActive
//! [`Error::UnknownServer`]: crate::Error::UnknownServer
//! [`Error::TenantMoved`]: crate::Error::TenantMoved
//! [`Error::TenantErased`]: crate::Error::TenantErased
//! [`Error::TenantMoving`]: crate::Error::TenantMoving
//! [`Error::PoolTimeout`]: crate::Error::PoolTimeout
//! [`Error::OutsidePlacement`]: crate::Error::OutsidePlacement
