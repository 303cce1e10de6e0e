//! The transaction-local tenant context that row-level security policies
//! read: where it is made ([`start`]), how a statement carries it in its own
//! message group ([`pipeline`]), and how bind values are checked first
//! ([`param`]).
//!
//! The context is set inside the statement's own transaction, so it ends
//! with that transaction: nothing survives into the next borrower of the
//! connection, and it works behind a transaction-mode pooler.
//!
//! It takes two forms:
//!
//! - `BEGIN; SET LOCAL …`, for transactions, hand-written SQL, streams,
//!   statements sent through a transaction-mode pooler (as configured with
//!   `Config::transaction_pooler`), and every tenant's
//!   statements on Citus, where `SET LOCAL` inside a transaction block is
//!   propagated to the workers (`set_config(.., true)` is not), each
//!   statement a query of its own, since Citus sends the text of the query
//!   holding a propagated `SET LOCAL` to the workers. `SET LOCAL`
//!   takes no bind parameter, so the literal is rendered from the typed
//!   tenant id only (a UUID: hex digits and hyphens), and it is sent on the
//!   unnamed statement (or as a simple query), never as a named prepared
//!   statement, so per-tenant text never enters the statement cache.
//! - For a single built statement on a connection that caches statements:
//!   one shared prepared statement, `SELECT set_config('tenantry.tenant_id',
//!   $1, true), set_config('search_path', $2, true)`, with the tenant id and
//!   the placement's path bound, in the statement's own message group. The
//!   group opens no transaction block, so the server runs it as one implicit transaction
//!   that its Sync commits, and both settings end there. Built statements
//!   cannot open a transaction block of their own.
//!
//! Both forms pin `search_path` for the transaction to the placement's path:
//! the tenant's schema (schema placements), or `public`, with `pg_temp`
//! searched last, so a temporary table can never shadow a table that a
//! statement, or a trigger or function it runs, names without a schema, even
//! on a server connection that a pooler shares; and the same statement, and
//! every trigger it fires, finds the same tables however it is sent: a schema
//! tenant's trigger writing to an unqualified table writes to the tenant's
//! schema, never to the shared pool's table of the same name. Built
//! statements also name the schema of every table they reach (`public` for
//! the shared pool and a tenant database, `shared` or their own for global
//! tables, or the tenant's own schema), in a transaction of a schema
//! placement too.

pub(crate) mod param;
pub(crate) mod pipeline;
pub(crate) mod start;
