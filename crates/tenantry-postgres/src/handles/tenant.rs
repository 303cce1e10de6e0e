//! The handle for one tenant: builds and runs statements in its context.

use std::ops::Deref;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use postgres_types::ToSql;
use tenantry_query::{Executor, Scope, Statement, TenantScoped};
use tracing::Instrument;

use crate::Error;
use crate::access::record::{Delivery, boxed_audited_start};
use crate::access::terms::Access;
use crate::context::param::{as_dyn, params};
use crate::context::pipeline;
use crate::context::start::{NO_CONTEXT, TransactionStart};
use crate::handles::retry::retried_if_unsent;
use crate::handles::row::{PgRow, wrap};
use crate::handles::shared::Shared;
use crate::handles::transaction::TenantTransaction;
use crate::handles::transaction_options::TransactionOptions;
use crate::limits::work::Work;
use crate::placement::Placement;
use crate::pool::Lease;
use crate::routing::route::{Route, RouteTelemetry};
use crate::telemetry::{Call, What};

/// Runs a tenant's statements, each in its own transaction with the tenant
/// context set, in one round trip. A statement whose connection was lost
/// before it was sent is retried once (see [`Error::ConnectionLost`]).
#[derive(Clone)]
pub struct TenantExecutor {
    route: Arc<Route>,
    shared: Arc<Shared>,
    /// The scope of the handle: the only one whose statements it runs.
    scope: Scope,
    /// The terms of an audited access, whose every transaction is recorded
    /// (see [`crate::access`]); `None` for the tenant's own handle.
    access: Option<Arc<Access>>,
    /// Whether its statements are requests or batch work.
    work: Work,
}

impl TenantExecutor {
    /// The statement builder of the tenant of `route`, running its
    /// statements in the tenant's context as `work`, audited under `access`
    /// if given.
    pub(crate) fn scoped(
        route: Arc<Route>,
        shared: Arc<Shared>,
        access: Option<Arc<Access>>,
        work: Work,
    ) -> TenantScoped<Self> {
        let scoped = TenantScoped::new(route.tenant, route.schema());
        let scope = scoped.scope().clone();
        scoped.with_executor(TenantExecutor {
            route,
            shared,
            scope,
            access,
            work,
        })
    }

    /// Where the next statement goes. While the registry entry is unchanged
    /// that is the handle's route; after a change the tenant is looked up
    /// again: a tenant no longer active is refused, and one moved elsewhere
    /// gets [`Error::TenantMoved`] (its statements are built for the old place).
    async fn route(&self) -> Result<Arc<Route>, Error> {
        if !self.route.is_revoked() {
            return Ok(self.route.clone());
        }
        let router = self
            .shared
            .router
            .as_ref()
            .expect("only routes of the registry are revoked");
        // Boxed: a lookup is a large future that every statement would
        // otherwise carry, and copy, though few statements make one.
        let current = Box::pin(router.route(
            &self.shared.servers,
            &self.shared.config,
            &self.shared.gates,
            self.route.tenant,
            &self.shared.telemetry,
        ))
        .await?;
        if current.same_place(&self.route) {
            Ok(current)
        } else {
            Err(Error::TenantMoved {
                id: self.route.tenant,
            })
        }
    }

    /// Checks that this handle's scope built `statement` (if given: none
    /// for hand-written SQL), then borrows a connection where the tenant is
    /// now. For an audited access the use is recorded first (or its
    /// recording goes into the start returned, see
    /// [`crate::access::record`]), before any connection to the tenant is
    /// taken, where `delivery` allows.
    async fn connection(
        &self,
        statement: Option<&Statement>,
        delivery: Delivery,
    ) -> Result<Connection, Error> {
        if let Some(statement) = statement {
            statement.ensure_built_for(&self.scope)?;
        }
        let route = self.route().await?;
        let audited = self.audited(&route, delivery).await?;
        let lease = route.lease(self.work).await?;
        Ok((route, audited, lease))
    }

    /// The audited start of a transaction on `route`, for an audited access
    /// (its use recorded, or its recording in the start, as `delivery`
    /// allows); `None` for the tenant's own handle.
    async fn audited(
        &self,
        route: &Route,
        delivery: Delivery,
    ) -> Result<Option<TransactionStart>, Error> {
        match &self.access {
            Some(access) => Ok(Some(
                boxed_audited_start(access, route, &self.shared, delivery).await?,
            )),
            None => Ok(None),
        }
    }

    /// Runs `sql` where the tenant is now, with no context and no audit:
    /// the tenant's own delegated calls (see [`Tenant::call_delegated`]).
    async fn without_context(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<PgRow>, Error> {
        debug_assert!(
            self.access.is_none(),
            "an audited access has no delegated calls"
        );
        let call = self.route.telemetry.statement(What::Raw(sql));
        let rows = || {
            retried_if_unsent(|| async {
                let route = self.route().await?;
                let lease = route.lease(self.work).await?;
                lease.runs_raw_sql();
                pipeline::query(&lease, &NO_CONTEXT, sql, params).await
            })
        };
        call.observe(rows, |rows| rows.len() as u64).await.map(wrap)
    }

    /// Runs hand-written SQL in the tenant's context and returns its rows
    /// (see [`Tenant::raw_query`]).
    pub(crate) async fn raw_query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<PgRow>, Error> {
        let call = self.route.telemetry.statement(What::Raw(sql));
        let rows = || {
            retried_if_unsent(|| async {
                let (route, audited, lease) = self.connection(None, Delivery::AfterCommit).await?;
                lease.runs_raw_sql();
                let start = audited
                    .as_ref()
                    .unwrap_or(&route.begin(self.work).hand_written);
                pipeline::query(&lease, start, sql, params).await
            })
        };
        call.observe(rows, |rows| rows.len() as u64).await.map(wrap)
    }

    /// Runs hand-written SQL in the tenant's context and returns the rows it
    /// affected (see [`Tenant::raw_execute`]).
    pub(crate) async fn raw_execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        let call = self.route.telemetry.statement(What::Raw(sql));
        let count = || {
            retried_if_unsent(|| async {
                let (route, audited, lease) = self.connection(None, Delivery::AfterCommit).await?;
                lease.runs_raw_sql();
                let start = audited
                    .as_ref()
                    .unwrap_or(&route.begin(self.work).hand_written);
                pipeline::execute(&lease, start, sql, params).await
            })
        };
        call.observe(count, |count| *count).await
    }

    /// Starts a transaction in the tenant's context (see
    /// [`Tenant::transaction_with`]).
    pub(crate) async fn transaction(
        &self,
        options: &TransactionOptions,
    ) -> Result<TenantTransaction, Error> {
        let span = self.route.telemetry.transaction();
        retried_if_unsent(|| async {
            let route = self.route().await?;
            let audited = self.audited(&route, Delivery::BeforeCommit).await?;
            let lease = route.lease(self.work).instrument(span.clone()).await?;
            let start = audited
                .as_ref()
                .unwrap_or(&route.begin(self.work).hand_written);
            TenantTransaction::begin(
                lease,
                self.scope.clone(),
                &options.begin(&start.sql),
                (route.clone(), span.clone()),
            )
            .await
        })
        .await
        .inspect_err(|error| crate::telemetry::failed(&span, error))
    }
}

/// Where a statement runs: the tenant's route, the audited start of its
/// transaction (for an audited access), and the connection.
type Connection = (Arc<Route>, Option<TransactionStart>, Lease);

impl Executor for TenantExecutor {
    type Error = Error;
    type Row = PgRow;
    type RowStream = BoxStream<'static, Result<PgRow, Error>>;

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>, Error> {
        let call = self.route.telemetry.statement(What::Built(&statement));
        let (statement, params) = (&statement, &params(&statement));
        let rows = || {
            retried_if_unsent(|| async move {
                let (route, audited, lease) = self
                    .connection(Some(statement), Delivery::AfterCommit)
                    .await?;
                let start = audited
                    .as_ref()
                    .unwrap_or(&route.begin(self.work).statement);
                pipeline::query(&lease, start, statement.sql(), &as_dyn(params)).await
            })
        };
        call.observe(rows, |rows| rows.len() as u64).await.map(wrap)
    }

    async fn execute(&self, statement: Statement) -> Result<u64, Error> {
        let call = self.route.telemetry.statement(What::Built(&statement));
        let (statement, params) = (&statement, &params(&statement));
        let count = || {
            retried_if_unsent(|| async move {
                let (route, audited, lease) = self
                    .connection(Some(statement), Delivery::AfterCommit)
                    .await?;
                let start = audited
                    .as_ref()
                    .unwrap_or(&route.begin(self.work).statement);
                pipeline::execute(&lease, start, statement.sql(), &as_dyn(params)).await
            })
        };
        call.observe(count, |count| *count).await
    }

    /// The span and the metrics cover the whole stream: they end with its
    /// last row, its first error, or its drop.
    async fn stream(&self, statement: Statement) -> Result<Self::RowStream, Error> {
        let call = Call::start(RouteTelemetry(self.route.clone()), What::Built(&statement));
        let (statement, params) = (&statement, &params(&statement));
        let started = || {
            retried_if_unsent(|| async move {
                let (route, audited, lease) = self
                    .connection(Some(statement), Delivery::BeforeCommit)
                    .await?;
                let start = audited
                    .as_ref()
                    .unwrap_or(&route.begin(self.work).statement);
                let rows =
                    pipeline::stream(&lease, start, statement.sql(), &as_dyn(params)).await?;
                Ok(rows_until_commit(lease, rows))
            })
        };
        Ok(call.observe_stream(started).await?.boxed())
    }
}

/// The rows of a statement `lease` runs, then its `COMMIT`: the lease goes
/// back once the last row is read.
fn rows_until_commit(
    lease: Lease,
    rows: impl futures_util::Stream<Item = Result<tokio_postgres::Row, tokio_postgres::Error>>
    + Send
    + 'static,
) -> BoxStream<'static, Result<PgRow, Error>> {
    stream::unfold(Some((lease, Box::pin(rows))), |state| async move {
        let (lease, mut rows) = state?;
        match rows.next().await {
            Some(Ok(row)) => Some((Ok(PgRow(row)), Some((lease, rows)))),
            Some(Err(error)) => Some((Err(lease.failed(Error::from(error))), None)),
            None => {
                let committed = lease
                    .client()
                    .batch_execute("COMMIT")
                    .await
                    .map_err(Error::from);
                lease
                    .end_work(committed)
                    .err()
                    .map(|error| (Err(error), None))
            }
        }
    })
    .boxed()
}

/// One tenant's handle: builds statements on its tenant-scoped entities (it
/// dereferences to [`TenantScoped`]) and runs them in the tenant's context.
///
/// ```no_run
/// # use tenantry_postgres::{Config, Tenantry};
/// # use tenantry_query::TenantId;
/// # async fn demo(tenant_id: TenantId) -> Result<(), tenantry_postgres::Error> {
/// let db = Tenantry::connect(Config::from_env()?).await?;
/// let acme = db.tenant(tenant_id).await?;
/// let transaction = acme.transaction().await?;
/// transaction.commit().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Tenant {
    scoped: TenantScoped<TenantExecutor>,
}

impl Tenant {
    pub(crate) fn new(route: Arc<Route>, shared: Arc<Shared>) -> Self {
        Self {
            scoped: TenantExecutor::scoped(route, shared, None, Work::Request),
        }
    }

    /// The handle of this tenant's batch work (exports, imports, reports):
    /// the same statements in the same context, on connections of the
    /// server's batch budget ([`Config::batch_connections`]) instead of the
    /// requests', and under the tier's [batch timeout](crate::Limits::batch_timeout)
    /// instead of its statement timeout, its rate and its concurrency; so a
    /// long export never holds a connection a request is waiting for. A
    /// tenant whose limits do not allow batch work gets
    /// [`Error::BatchNotAllowed`], here or at a statement after its tier
    /// changed.
    ///
    /// [`Config::batch_connections`]: crate::Config::batch_connections
    ///
    /// ```no_run
    /// # use tenantry_postgres::{Config, Tenantry};
    /// # use tenantry_query::TenantId;
    /// # async fn demo(tenant_id: TenantId) -> Result<(), tenantry_postgres::Error> {
    /// let db = Tenantry::connect(Config::from_env()?).await?;
    /// let export = db.tenant(tenant_id).await?.batch()?;
    /// let rows = export.raw_query("SELECT * FROM invoices", &[]).await?;
    /// # let _ = rows;
    /// # Ok(()) }
    /// ```
    pub fn batch(&self) -> Result<Tenant, Error> {
        let executor = self.scoped.executor();
        if !executor.route.gate.limits().batch {
            return Err(Error::BatchNotAllowed {
                tenant: executor.route.tenant,
            });
        }
        let (route, shared) = (executor.route.clone(), executor.shared.clone());
        Ok(Self {
            scoped: TenantExecutor::scoped(route, shared, None, Work::Batch),
        })
    }

    /// Where the tenant's rows lived when this handle was made (a handle of a
    /// tenant moved since then is refused with [`Error::TenantMoved`]).
    pub fn placement(&self) -> &Placement {
        &self.scoped.executor().route.placement
    }

    /// The server (by configured name) the tenant lived on when this handle
    /// was made.
    pub fn server(&self) -> &str {
        &self.scoped.executor().route.server.name
    }

    /// Starts a transaction in this tenant's context: several statements that
    /// commit or roll back together. Dropping it without `commit` rolls back.
    /// A start whose connection was lost before it was sent is retried once.
    pub async fn transaction(&self) -> Result<TenantTransaction, Error> {
        self.transaction_with(&TransactionOptions::default()).await
    }

    /// Starts a transaction like [`Tenant::transaction`], at the isolation
    /// level and read-only setting of `options`.
    pub async fn transaction_with(
        &self,
        options: &TransactionOptions,
    ) -> Result<TenantTransaction, Error> {
        self.scoped.executor().transaction(options).await
    }

    /// Runs hand-written SQL in the tenant's context and returns its rows.
    /// Row-level security still applies, but nothing adds the tenant filter:
    /// review every use. It is not a sandbox: SQL that sets the tenant
    /// setting itself acts as that tenant. Retried once if its connection
    /// was lost before it was sent.
    pub async fn raw_query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<PgRow>, Error> {
        self.scoped.executor().raw_query(sql, params).await
    }

    /// On Citus, calls `function` (`name` or `schema.name`), a function
    /// distributed by its first argument, the tenant
    /// (`create_distributed_function('f(uuid, ...)', 'tenant', colocate_with
    /// := 'invoices')`), with this tenant's id and then `args`, as a query of
    /// its own that the coordinator delegates whole to the tenant's worker:
    /// no transaction block, so one command to the worker where a statement
    /// in the tenant's context costs three (see the README's Citus section).
    ///
    /// No context is sent: the function must set it from its first argument
    /// (`PERFORM set_config('tenantry.tenant_id', tenant::text, true)`), or
    /// row-level security shows it nothing, and it is what scopes its rows
    /// (review it as hand-written SQL). For pool tenants on Citus
    /// ([`Config::citus`](crate::Config::citus)) only; otherwise
    /// [`Error::Config`], and nothing runs.
    ///
    /// ```no_run
    /// # async fn demo(tenant: &tenantry_postgres::Tenant) -> Result<(), tenantry_postgres::Error> {
    /// // SELECT "public"."invoice_total"($1, $2), $1 the tenant's id
    /// let rows = tenant.call_delegated("public.invoice_total", &[&true]).await?;
    /// let total: i64 = rows[0].get(0);
    /// # let _ = total;
    /// # Ok(()) }
    /// ```
    pub async fn call_delegated(
        &self,
        function: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<PgRow>, Error> {
        let executor = self.scoped.executor();
        if !executor.shared.config.is_citus() || *self.placement() != Placement::Pool {
            return Err(Error::Config(
                "a delegated call serves pool tenants on Citus (`Config::citus`)".to_owned(),
            ));
        }
        let name = function
            .split('.')
            .map(|part| Ok(tenantry_query::Identifier::new(part)?.quoted()))
            .collect::<Result<Vec<String>, Error>>()?;
        if name.len() > 2 {
            return Err(Error::Config(format!(
                "{function:?} is not a function name (`name` or `schema.name`)"
            )));
        }
        let placeholders: Vec<String> = (1..=args.len() + 1).map(|n| format!("${n}")).collect();
        let sql = format!("SELECT {}({})", name.join("."), placeholders.join(", "));
        let tenant = self.tenant().as_uuid();
        let params: Vec<&(dyn ToSql + Sync)> = std::iter::once(&tenant as &(dyn ToSql + Sync))
            .chain(args.iter().copied())
            .collect();
        executor.without_context(&sql, &params).await
    }

    /// Runs hand-written SQL in the tenant's context and returns the rows it
    /// affected. Row-level security still applies: review every use.
    /// Retried once if its connection was lost before it was sent.
    pub async fn raw_execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        self.scoped.executor().raw_execute(sql, params).await
    }
}

impl Deref for Tenant {
    type Target = TenantScoped<TenantExecutor>;

    fn deref(&self) -> &Self::Target {
        &self.scoped
    }
}

impl std::fmt::Debug for TenantExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantExecutor")
            .field("tenant", &self.route.tenant)
            .field("placement", &self.route.placement)
            .field("server", &self.route.server.name)
            .finish()
    }
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("executor", self.scoped.executor())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use tenantry_query::Executor;

    use super::*;

    /// The size of the future `make` returns.
    fn future_size<A, F: Future>(_make: fn(A) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Every statement's future is moved (copied) a few times on its way to
    /// the runtime: it holds only what every statement needs, the rare
    /// paths (a registry lookup, opening a connection) boxed. It was 22 KB.
    #[test]
    fn a_statements_future_stays_small() {
        let fetch =
            future_size::<(&'static TenantExecutor, Statement), _>(|(executor, statement)| {
                executor.fetch(statement)
            });
        assert!(fetch <= 4096, "a statement's future takes {fetch} bytes");
    }
}
