//! Handles: a tenant's, the global one, transactions, and what can go wrong.
//!
//! Every statement runs through a handle of a connected [`Tenantry`]:
//! [`Tenantry::tenant`] for one tenant's rows, [`Tenantry::global`] for
//! global entities, and a tenant's [`Tenant::transaction`] for several
//! statements that commit together. The examples use these entities:
//!
//! ```
//! use tenantry::prelude::*;
//!
//! #[derive(Entity, Debug, Clone)]
//! #[entity(table = "invoices", tenant_scoped)]
//! pub struct Invoice {
//!     #[entity(primary_key)]
//!     pub id: Uuid,
//!     pub tenant_id: TenantId,
//!     pub amount_cents: i64,
//!     pub paid: bool,
//! }
//!
//! #[derive(Entity, Debug, Clone)]
//! #[entity(table = "plans", global)]
//! pub struct Plan {
//!     #[entity(primary_key)]
//!     pub id: String,
//!     pub max_seats: i32,
//! }
//! ```
//!
//! # A tenant's handle
//!
//! [`Tenantry::tenant`] returns the [`Tenant`] handle of one tenant. It
//! dereferences to [`TenantScoped`], so it builds statements as on
//! [`queries`](super::queries), and its terminal methods run them: each
//! statement in a transaction of its own, with the tenant context set in the
//! same round trip, so row-level security checks every row it reads or
//! writes.
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # #[derive(Entity, Debug, Clone)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! #     pub paid: bool,
//! # }
//! async fn invoices(db: &Tenantry, tenant_id: TenantId, id: Uuid) -> Result<(), Error> {
//!     let acme = db.tenant(tenant_id).await?;
//!
//!     let inserted: u64 = acme
//!         .insert(NewInvoice { id, amount_cents: 4_200, paid: false })
//!         .exec()
//!         .await?;
//!     let invoice: Invoice = acme.select::<Invoice>().filter(Invoice::ID.eq(id)).one().await?;
//!     let maybe: Option<Invoice> = acme
//!         .select::<Invoice>()
//!         .filter(Invoice::ID.eq(Uuid::new_v4()))
//!         .optional()
//!         .await?;
//!     let unpaid: Vec<Invoice> = acme.select::<Invoice>().filter(Invoice::PAID.eq(false)).all().await?;
//!     let amounts: Vec<(Uuid, i64)> = acme
//!         .select::<Invoice>()
//!         .columns((Invoice::ID, Invoice::AMOUNT_CENTS))
//!         .all()
//!         .await?;
//!     let how_many: u64 = acme.select::<Invoice>().count().await?;
//!     let any_unpaid: bool = acme.select::<Invoice>().filter(Invoice::PAID.eq(false)).exists().await?;
//!
//!     let paid: Invoice = acme
//!         .update::<Invoice>()
//!         .set(Invoice::PAID, true)
//!         .filter(Invoice::ID.eq(id))
//!         .one() // RETURNING the updated row
//!         .await?;
//!     let deleted: u64 = acme.delete::<Invoice>().filter(Invoice::PAID.eq(true)).exec().await?;
//!     # let _ = (inserted, invoice, maybe, unpaid, amounts, how_many, any_unpaid, paid, deleted);
//!     Ok(())
//! }
//! ```
//!
//! `stream()` delivers the rows of a large result as they arrive, holding
//! one connection until the last (any `Stream` combinator consumes it):
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # #[derive(Entity, Debug, Clone)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! #     pub paid: bool,
//! # }
//! use futures_util::TryStreamExt;
//!
//! async fn total(acme: &Tenant) -> Result<i64, Error> {
//!     let mut rows = acme.select::<Invoice>().stream().await?;
//!     let mut total = 0;
//!     while let Some(invoice) = rows.try_next().await? {
//!         total += invoice.amount_cents;
//!     }
//!     Ok(total)
//! }
//! ```
//!
//! A handle holds no connection: each statement borrows one from the pool
//! and returns it. Clone a handle freely, or make one per request
//! ([`Tenantry::tenant`] reads the registry only when its cache does not
//! know the tenant). [`Tenant::placement`] and [`Tenant::server`] say where
//! the tenant lived when it was made (see [`placements`](super::placements)).
//!
//! # The global handle
//!
//! [`Tenantry::global`] returns the [`Global`] handle, which dereferences to
//! [`GlobalScope`]: statements on global entities only, on the main server,
//! with no tenant context (so row-level security shows it no tenant's rows).
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # #[derive(Entity, Debug, Clone)]
//! # #[entity(table = "plans", global)]
//! # pub struct Plan {
//! #     #[entity(primary_key)]
//! #     pub id: String,
//! #     pub max_seats: i32,
//! # }
//! async fn plans(db: &Tenantry) -> Result<Vec<Plan>, Error> {
//!     let global = db.global();
//!     global.insert(Plan { id: "pro".to_owned(), max_seats: 50 }).exec().await?;
//!     global.select::<Plan>().filter(Plan::MAX_SEATS.ge(10)).all().await
//! }
//! ```
//!
//! # Transactions
//!
//! [`Tenant::transaction`] begins a [`TenantTransaction`] in the tenant's
//! context. It dereferences to a [`TenantScoped`] handle too: statements are
//! built and run on it as on the tenant, see each other's writes, and
//! commit together with [`TenantTransaction::commit`]. Dropping it without
//! committing rolls it back; so does [`TenantTransaction::rollback`]. It
//! holds one connection until it ends.
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # #[derive(Entity, Debug, Clone)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! #     pub paid: bool,
//! # }
//! async fn split(acme: &Tenant, id: Uuid) -> Result<(), Error> {
//!     let transaction = acme.transaction().await?;
//!     let invoice = transaction
//!         .delete::<Invoice>()
//!         .filter(Invoice::ID.eq(id))
//!         .one() // RETURNING the deleted row; `Error::NotFound` if none
//!         .await?;
//!     let half = invoice.amount_cents / 2;
//!     transaction
//!         .insert_many([
//!             NewInvoice { id: Uuid::new_v4(), amount_cents: half, paid: false },
//!             NewInvoice { id: Uuid::new_v4(), amount_cents: invoice.amount_cents - half, paid: false },
//!         ])
//!         .exec()
//!         .await?;
//!     transaction.commit().await
//! }
//! ```
//!
//! When a statement of a transaction fails, PostgreSQL aborts the
//! transaction: `commit` then rolls it back and returns
//! [`Error::TransactionAborted`], never `Ok`.
//!
//! [`Tenant::run_transaction`](crate::Tenant::run_transaction) takes the work as a closure, and commits when
//! it returns `Ok`, rolls back when it returns `Err` or panics. A
//! serialization failure (40001) or a deadlock (40P01), in the closure or at
//! the commit, runs it again in a new transaction, up to
//! [`TransactionOptions::attempts`](crate::TransactionOptions::attempts)
//! (three by default), so the closure must be safe to run again. The
//! options also set the isolation level and `READ ONLY`.
//! [`TenantTransaction::savepoint`](crate::TenantTransaction::savepoint) runs nested work in a savepoint: an
//! `Err` rolls back to it and leaves the rest of the transaction usable.
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # use tenantry::{Isolation, TransactionOptions};
//! # #[derive(Entity, Debug, Clone)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! #     pub paid: bool,
//! # }
//! async fn pay_all(acme: &Tenant) -> Result<u64, Error> {
//!     let options = TransactionOptions::default().isolation(Isolation::Serializable);
//!     acme.run_transaction(options, async |tx| {
//!         let paid = tx
//!             .update::<Invoice>()
//!             .set(Invoice::PAID, true)
//!             .filter(Invoice::PAID.eq(false))
//!             .exec()
//!             .await?;
//!         // Best effort: a failure here leaves the payments in place.
//!         let _ = tx
//!             .savepoint(async |tx| {
//!                 tx.delete::<Invoice>()
//!                     .filter(Invoice::AMOUNT_CENTS.eq(0))
//!                     .exec()
//!                     .await
//!             })
//!             .await;
//!         Ok(paid)
//!     })
//!     .await
//! }
//! ```
//!
//! # Background jobs
//!
//! A job carries its tenant as a [`TenantRef`](crate::TenantRef): it
//! serializes (serde) as the tenant's id and holds nothing else, and
//! [`Tenantry::resume`](crate::Tenantry::resume) resolves it through the
//! registry when the job runs. A job enqueued before its tenant moved runs
//! in the new place; one whose tenant was suspended or erased since gets
//! [`Error::TenantNotActive`] or [`Error::TenantErased`]. No tenant is ever
//! ambient (no task-local or thread-local context), so jobs of many tenants
//! may run interleaved on one worker; `examples/jobs.rs` runs a queue on a
//! tokio channel.
//!
//! ```no_run
//! # async fn demo(db: tenantry::Tenantry, tenant: tenantry::Tenant) -> Result<(), tenantry::Error> {
//! use tenantry::TenantRef;
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct CloseMonth {
//!     tenant: TenantRef,
//!     month: u8,
//! }
//!
//! // In the request: only the reference goes into the queue.
//! let payload = serde_json::to_string(&CloseMonth { tenant: tenant.to_ref(), month: 11 }).unwrap();
//! // In the worker, later, maybe in another process:
//! let job: CloseMonth = serde_json::from_str(&payload).unwrap();
//! let tenant = db.resume(job.tenant).await?; // where it lives now, if it is still served
//! # let _ = tenant;
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Everything that runs returns [`Error`] (building alone returns
//! [`QueryError`], which converts into [`Error::Query`]). It is
//! `#[non_exhaustive]`: a `match` on it ends with a catch-all arm. Every
//! error PostgreSQL reported keeps the server's error, with its message and
//! SQLSTATE, as its `source()`.
//!
//! | variant | when |
//! |---|---|
//! | [`Error::NotFound`] | `one()` found no row |
//! | [`Error::Query`] | building failed, a value could not be read, or `one()` or `optional()` found several rows |
//! | [`Error::Constraint`] | a write broke a unique, foreign-key, check, not-null or exclusion constraint ([`ConstraintKind`]) |
//! | [`Error::PermissionDenied`] | a row-level security policy refused a write, or the role lacks a privilege |
//! | [`Error::StatementTimeout`], [`Error::Cancelled`] | the statement ran past its `statement_timeout`, or was cancelled on request |
//! | [`Error::PoolTimeout`] | no connection became free within the wait timeout |
//! | [`Error::ConnectionLost`], [`Error::Connect`] | a connection died, or none could be opened |
//! | [`Error::UnknownTenant`], [`Error::TenantNotActive`], [`Error::TenantErased`], [`Error::TenantMoved`] | the registry does not know the tenant, it is not active, it was erased, or it moved since the handle was made |
//! | [`Error::TenantMoving`] | a write of a tenant being relocated, refused while its last rows are copied: try again after `retry_after` |
//! | [`Error::OutsidePlacement`] | a write reached outside the tenant's placement (the write fence) |
//! | [`Error::TransactionAborted`] | `commit` of a transaction in which a statement failed |
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # #[derive(Entity, Debug, Clone)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! #     pub paid: bool,
//! # }
//! use tenantry::ConstraintKind;
//!
//! /// `None` when there is no such invoice.
//! async fn find(acme: &Tenant, id: Uuid) -> Result<Option<Invoice>, Error> {
//!     match acme.select::<Invoice>().filter(Invoice::ID.eq(id)).one().await {
//!         Ok(invoice) => Ok(Some(invoice)),
//!         Err(Error::NotFound { .. }) => Ok(None),
//!         Err(other) => Err(other),
//!     }
//! }
//!
//! /// `false` when an invoice with this id exists already.
//! async fn create(acme: &Tenant, id: Uuid, amount_cents: i64) -> Result<bool, Error> {
//!     let row = NewInvoice { id, amount_cents, paid: false };
//!     match acme.insert(row).exec().await {
//!         Ok(_) => Ok(true),
//!         Err(Error::Constraint { kind: ConstraintKind::Unique, .. }) => Ok(false),
//!         Err(other) => Err(other),
//!     }
//! }
//! ```
//!
//! Messages are written for people and carry no `Debug` text: a broken key
//! reads `unique constraint "invoices_pkey" violated`.
//!
//! [`Tenantry`]: crate::Tenantry
//! [`Tenantry::tenant`]: crate::Tenantry::tenant
//! [`Tenantry::global`]: crate::Tenantry::global
//! [`Tenant`]: crate::Tenant
//! [`Tenant::transaction`]: crate::Tenant::transaction
//! [`Tenant::placement`]: crate::Tenant::placement
//! [`Tenant::server`]: crate::Tenant::server
//! [`TenantScoped`]: crate::TenantScoped
//! [`Global`]: crate::Global
//! [`GlobalScope`]: crate::GlobalScope
//! [`TenantTransaction`]: crate::TenantTransaction
//! [`TenantTransaction::commit`]: crate::TenantTransaction::commit
//! [`TenantTransaction::rollback`]: crate::TenantTransaction::rollback
//! [`Error`]: crate::Error
//! [`QueryError`]: crate::QueryError
//! [`ConstraintKind`]: crate::ConstraintKind
//! [`Error::NotFound`]: crate::Error::NotFound
//! [`Error::Query`]: crate::Error::Query
//! [`Error::Constraint`]: crate::Error::Constraint
//! [`Error::PermissionDenied`]: crate::Error::PermissionDenied
//! [`Error::StatementTimeout`]: crate::Error::StatementTimeout
//! [`Error::Cancelled`]: crate::Error::Cancelled
//! [`Error::PoolTimeout`]: crate::Error::PoolTimeout
//! [`Error::ConnectionLost`]: crate::Error::ConnectionLost
//! [`Error::Connect`]: crate::Error::Connect
//! [`Error::UnknownTenant`]: crate::Error::UnknownTenant
//! [`Error::TenantNotActive`]: crate::Error::TenantNotActive
//! [`Error::TenantErased`]: crate::Error::TenantErased
//! [`Error::TenantMoved`]: crate::Error::TenantMoved
//! [`Error::TenantMoving`]: crate::Error::TenantMoving
//! [`Error::OutsidePlacement`]: crate::Error::OutsidePlacement
//! [`Error::TransactionAborted`]: crate::Error::TransactionAborted
