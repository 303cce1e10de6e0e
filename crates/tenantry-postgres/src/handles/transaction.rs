//! A tenant transaction: several statements in one tenant context that commit
//! or roll back together.

use std::future::Future;
use std::ops::Deref;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};
use std::task::{Context, Poll, Waker};

use futures_util::stream::{BoxStream, StreamExt};
use postgres_types::ToSql;
use tenantry_query::{Executor, Scope, Statement, TenantScoped};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tracing::Span;

use crate::Error;
use crate::context::param::{as_dyn, params};
use crate::context::pipeline::prepare;
use crate::handles::row::{PgRow, wrap};
use crate::pool::Lease;
use crate::routing::route::Route;
use crate::telemetry::{self, What};

/// `COMMIT`, after a probe that fails in an aborted transaction. PostgreSQL
/// answers the `COMMIT` of an aborted transaction with a rollback, not an
/// error, so without the probe a failed transaction would look committed;
/// when the probe fails, the rest of the query (the `COMMIT`) is skipped.
const CHECKED_COMMIT: &str = "SELECT; COMMIT";

/// Runs statements on the transaction's connection, inside its context.
pub struct TransactionExecutor {
    lease: Lease,
    /// The scope of the transaction: the only one whose statements it runs.
    scope: Scope,
    /// Where it runs, for its statements' telemetry.
    route: Arc<Route>,
    /// The transaction's span, open until it ends.
    span: Span,
}

impl TransactionExecutor {
    /// Observes `what`, run by the future `work` makes, in a span that is a
    /// child of the transaction's; `rows` counts what it returned.
    fn observed<T, Fut>(
        &self,
        what: What<'_>,
        work: impl FnOnce() -> Fut,
        rows: impl FnOnce(&T) -> u64,
    ) -> impl Future<Output = Result<T, Error>>
    where
        Fut: Future<Output = Result<T, Error>>,
    {
        let call = {
            let _transaction = self.span.enter();
            self.route.telemetry.statement(what)
        };
        call.observe(work, rows)
    }

    async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, Error> {
        let rows = async {
            let statement = prepare(&self.lease, sql, params).await?;
            Ok(self.lease.client().query(&statement, params).await?)
        };
        self.noted(self.lease.track(rows).await)
    }

    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, Error> {
        let count = async {
            let statement = prepare(&self.lease, sql, params).await?;
            Ok(self.lease.client().execute(&statement, params).await?)
        };
        self.noted(self.lease.track(count).await)
    }

    /// `result`, its failure recorded on the lease.
    fn noted<T>(&self, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|error| self.lease.failed(error))
    }

    async fn end(&self, command: &str) -> Result<(), Error> {
        let result = self
            .lease
            .client()
            .batch_execute(command)
            .await
            .map_err(Error::from);
        self.lease.end_work(result)
    }
}

impl Executor for TransactionExecutor {
    type Error = Error;
    type Row = PgRow;
    type RowStream = BoxStream<'static, Result<PgRow, Error>>;

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>, Error> {
        statement.ensure_built_for(&self.scope)?;
        let params = params(&statement);
        let params = as_dyn(&params);
        let rows = || self.query(statement.sql(), &params);
        self.observed(What::Built(&statement), rows, |rows| rows.len() as u64)
            .await
            .map(wrap)
    }

    async fn execute(&self, statement: Statement) -> Result<u64, Error> {
        statement.ensure_built_for(&self.scope)?;
        let params = params(&statement);
        let params = as_dyn(&params);
        let count = || TransactionExecutor::execute(self, statement.sql(), &params);
        self.observed(What::Built(&statement), count, |count| *count)
            .await
    }

    /// Inside a transaction the rows are collected first: the connection
    /// stays with the transaction, which the stream cannot own.
    async fn stream(&self, statement: Statement) -> Result<Self::RowStream, Error> {
        let rows = self.fetch(statement).await?;
        Ok(futures_util::stream::iter(rows.into_iter().map(Ok)).boxed())
    }
}

impl Drop for TransactionExecutor {
    /// A transaction dropped without `commit` or `rollback` is rolled back:
    /// the `ROLLBACK` is queued on the connection before it returns to the
    /// pool, so the next borrower's statements run after it. If it cannot be
    /// queued, the lease stays dirty and the connection is closed instead.
    fn drop(&mut self) {
        // A statement whose call was dropped may still be queued: the next
        // borrower's context must never be spliced into it, so the
        // connection is closed instead.
        if !self.lease.is_dirty() || self.lease.has_statement_in_flight() {
            return;
        }
        let rollback = pin!(self.lease.client().batch_execute("ROLLBACK"));
        let mut context = Context::from_waker(Waker::noop());
        // The first poll writes the request; its response is not awaited.
        if let Poll::Ready(Err(_)) = rollback.poll(&mut context) {
            return;
        }
        self.lease.end_work(Ok::<(), Error>(())).ok();
    }
}

/// A transaction of one tenant. It dereferences to a [`TenantScoped`] handle,
/// so statements are built and run on it as on the tenant itself; they see
/// each other's writes and commit together.
///
/// Its statements are never retried on another connection: if its
/// connection is lost, the transaction is gone with it, rolled back by the
/// server ([`Error::ConnectionLost`] says whether a lost `commit` was sent,
/// and so may have committed). Only its start is retried, when it never
/// reached the server.
pub struct TenantTransaction {
    scoped: TenantScoped<TransactionExecutor>,
    /// Savepoints made so far, for their names.
    savepoints: AtomicU32,
}

impl TenantTransaction {
    /// Begins a transaction on `lease` with `begin`, observed as the route's
    /// in its span.
    pub(crate) async fn begin(
        lease: Lease,
        scope: Scope,
        begin: &str,
        (route, span): (Arc<Route>, Span),
    ) -> Result<Self, Error> {
        lease.begin_work();
        route
            .begin
            .hand_written
            .send(lease.client(), begin)
            .await
            .map_err(|error| lease.failed(error.into()))?;
        let tenant = scope
            .tenant()
            .expect("a tenant transaction is begun from a tenant's scope");
        let scoped =
            TenantScoped::new(tenant, scope.schema().cloned()).with_executor(TransactionExecutor {
                lease,
                scope,
                route,
                span,
            });
        Ok(Self {
            scoped,
            savepoints: AtomicU32::new(0),
        })
    }

    /// Runs a transaction-control command (`SAVEPOINT`, ...) of tenantry's own.
    pub(crate) async fn command(&self, sql: &str) -> Result<u64, Error> {
        self.scoped.executor().execute(sql, &[]).await
    }

    /// A savepoint name not used before in this transaction.
    pub(crate) fn next_savepoint(&self) -> String {
        let n = self.savepoints.fetch_add(1, AtomicOrdering::Relaxed);
        format!("tenantry_savepoint_{n}")
    }

    /// Commits the transaction. If a statement in it failed, PostgreSQL
    /// has aborted it: it is rolled back and the call returns
    /// [`Error::TransactionAborted`], never `Ok`.
    pub async fn commit(self) -> Result<(), Error> {
        let executor = self.scoped.executor();
        executor.lease.sending();
        let committed = executor.lease.client().batch_execute(CHECKED_COMMIT).await;
        match committed {
            Ok(()) => executor.lease.end_work(Ok(())),
            Err(error) => {
                let aborted = error.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION);
                let error = executor.lease.failed(error.into());
                if error.poisons_connection() {
                    return Err(error);
                }
                // Ends whatever the failure left open (only a warning when
                // the failed COMMIT already ended it).
                executor.end("ROLLBACK").await?;
                let error = if aborted {
                    Error::TransactionAborted
                } else {
                    error
                };
                telemetry::failed(&executor.span, &error);
                Err(error)
            }
        }
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<(), Error> {
        self.scoped.executor().end("ROLLBACK").await
    }

    /// Runs hand-written SQL in the transaction and returns its rows.
    /// Row-level security still applies, but nothing adds the tenant filter:
    /// review every use. It is not a sandbox: SQL that sets the tenant
    /// setting itself acts as that tenant.
    pub async fn raw_query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<PgRow>, Error> {
        let executor = self.scoped.executor();
        executor.lease.runs_raw_sql();
        let rows = || executor.query(sql, params);
        executor
            .observed(What::Raw(sql), rows, |rows| rows.len() as u64)
            .await
            .map(wrap)
    }

    /// Runs hand-written SQL in the transaction and returns the rows it
    /// affected. Row-level security still applies: review every use.
    pub async fn raw_execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        let executor = self.scoped.executor();
        executor.lease.runs_raw_sql();
        let count = || executor.execute(sql, params);
        executor
            .observed(What::Raw(sql), count, |count| *count)
            .await
    }
}

impl Deref for TenantTransaction {
    type Target = TenantScoped<TransactionExecutor>;

    fn deref(&self) -> &Self::Target {
        &self.scoped
    }
}

impl std::fmt::Debug for TransactionExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransactionExecutor")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TenantTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantTransaction")
            .field("executor", self.scoped.executor())
            .finish()
    }
}
