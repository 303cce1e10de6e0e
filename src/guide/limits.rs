//! Known limits: what tenantry guarantees, and what it does not.
//!
//! `SECURITY.md`, at the root of the repository, is the full statement, with
//! how to report a vulnerability (privately, through a GitHub security
//! advisory). In short:
//!
//! # Guaranteed
//!
//! - A query for tenant data cannot be built without a tenant, and its
//!   insert rows, conditions and executors cannot name another tenant: the
//!   compiler enforces it (see [`entities`](super::entities#what-does-not-compile)).
//! - PostgreSQL checks it again: every statement runs with a
//!   transaction-local tenant context that row-level security checks, so a
//!   forgotten filter, hand-written SQL included, sees and writes only its
//!   tenant's rows; without a context no row is visible.
//! - The context never outlives its transaction, so it never reaches the
//!   next user of a pooled connection.
//! - Writes stay in their placement, and stop when the tenant is suspended,
//!   whatever any cache says (the write fence).
//! - The application role cannot skip the policies: [`Tenantry::connect`]
//!   refuses a superuser or `BYPASSRLS` role, and that role reads no
//!   registry table.
//! - `tenantry verify` reports the known paths around row-level security in
//!   every database, and exits non-zero for CI.
//!
//! # Not guaranteed
//!
//! - **Hand-written SQL is not a sandbox**: SQL that sets
//!   `tenantry.tenant_id` itself acts as that tenant, to row-level security
//!   and to the write fence alike. Never build it from a tenant's input.
//! - **Row-level security filters rows, not everything around them**: it
//!   does not hide `EXPLAIN ANALYZE` row counts, planner estimates (they
//!   cover every tenant) or sequences; prefer uuid keys.
//! - **One shared application role** lets every tenant's hand-written SQL
//!   see other sessions' statements in `pg_stat_activity` (other tenants'
//!   ids included) and `LOCK` a table of another placement that the role may
//!   write. `track_activities = off` and `idle_in_transaction_session_timeout`
//!   on the role bound both.
//! - **Reads are not fenced**: a process that has not yet heard of a
//!   suspension still reads the tenant's rows; it cannot write them.
//! - **Behind a transaction-mode pooler**, hand-written SQL must not change
//!   session state; pooled connections do not support `COPY FROM STDIN`.
//! - **The write fence guards the tables `tenantry.isolate_table` isolated
//!   from this version on**; an older table gets it when `isolate_table`
//!   runs on it again (`verify` reports one without it).
//! - **The operator is privileged by design**: keep its credentials out of
//!   the application, and review the migrations it runs.
//! - **On Citus, distributed tables have no write fence** (Citus refuses
//!   triggers on them): a pool tenant's transaction begun before its
//!   suspension can still write there; row-level security on every shard
//!   still keeps it to its own rows.
//! - **Limits are per process** (see [`neighbours`](super::neighbours)):
//!   several processes give each tenant its rate and concurrency in each;
//!   a statement's first preparation on a connection runs under the
//!   server's timeout, not its tenant's.
//! - On a server whose messages are not in English, a statement timeout is
//!   reported as [`Error::Cancelled`]: PostgreSQL gives both the same code.
//! - `cargo build` notices a new migration file only with a build script
//!   naming the directory (see the operator's page).
//!
//! [`Tenantry::connect`]: crate::Tenantry::connect
//! [`Error::Cancelled`]: crate::Error::Cancelled
