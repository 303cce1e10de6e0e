//! The handle for one tenant: builds and runs statements in its context.

use std::ops::Deref;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use postgres_types::ToSql;
use tenantry_query::{Executor, Scope, Statement, TenantScoped};
use tracing::Instrument;

use crate::Error;
use crate::context::param::{as_dyn, params};
use crate::context::pipeline;
use crate::context::start::NO_CONTEXT;
use crate::handles::retry::retried_if_unsent;
use crate::handles::row::{PgRow, wrap};
use crate::handles::shared::Shared;
use crate::handles::transaction::TenantTransaction;
use crate::handles::transaction_closure::TransactionOptions;
use crate::placement::Placement;
use crate::pool::Lease;
use crate::routing::route::Route;
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
}

impl TenantExecutor {
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
        let current = router
            .route(
                &self.shared.servers,
                &self.shared.config,
                &self.shared.gates,
                self.route.tenant,
                &self.shared.telemetry,
            )
            .await?;
        if current.same_place(&self.route) {
            Ok(current)
        } else {
            Err(Error::TenantMoved {
                id: self.route.tenant,
            })
        }
    }

    /// Checks that this handle's scope built `statement`, and borrows a
    /// connection where the tenant is now.
    async fn connection_for(&self, statement: &Statement) -> Result<(Arc<Route>, Lease), Error> {
        statement.ensure_built_for(&self.scope)?;
        let route = self.route().await?;
        let lease = route.lease().await?;
        Ok((route, lease))
    }
}

impl Executor for TenantExecutor {
    type Error = Error;
    type Row = PgRow;
    type RowStream = BoxStream<'static, Result<PgRow, Error>>;

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>, Error> {
        let call = self.route.telemetry.statement(What::Built(&statement));
        let (statement, params) = (&statement, &params(&statement));
        let rows = retried_if_unsent(|| async move {
            let (route, lease) = self.connection_for(statement).await?;
            let sql = statement.sql();
            pipeline::query(&lease, &route.begin.statement, sql, &as_dyn(params)).await
        });
        call.observe(rows, |rows| rows.len() as u64).await.map(wrap)
    }

    async fn execute(&self, statement: Statement) -> Result<u64, Error> {
        let call = self.route.telemetry.statement(What::Built(&statement));
        let (statement, params) = (&statement, &params(&statement));
        let count = retried_if_unsent(|| async move {
            let (route, lease) = self.connection_for(statement).await?;
            let sql = statement.sql();
            pipeline::execute(&lease, &route.begin.statement, sql, &as_dyn(params)).await
        });
        call.observe(count, |count| *count).await
    }

    /// The span and the metrics cover the statement until its first rows
    /// can be read.
    async fn stream(&self, statement: Statement) -> Result<Self::RowStream, Error> {
        let call = self.route.telemetry.statement(What::Built(&statement));
        let (statement, params) = (&statement, &params(&statement));
        let started = retried_if_unsent(|| async move {
            let (route, lease) = self.connection_for(statement).await?;
            let sql = statement.sql();
            let rows =
                pipeline::stream(&lease, &route.begin.statement, sql, &as_dyn(params)).await?;
            Ok((lease, rows))
        });
        let (lease, rows) = call.observe(started, |_| 0).await?;
        Ok(
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
            .boxed(),
        )
    }
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
        let scoped = TenantScoped::new(route.tenant, route.schema());
        let scope = scoped.scope().clone();
        Self {
            scoped: scoped.with_executor(TenantExecutor {
                route,
                shared,
                scope,
            }),
        }
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
        let span = self.scoped.executor().route.telemetry.transaction();
        retried_if_unsent(|| async {
            let route = self.scoped.executor().route().await?;
            let lease = route.lease().instrument(span.clone()).await?;
            TenantTransaction::begin(
                lease,
                self.scoped.scope().clone(),
                &options.begin(&route.begin.hand_written.sql),
                (route.clone(), span.clone()),
            )
            .await
        })
        .await
        .inspect_err(|error| crate::telemetry::failed(&span, error))
    }

    /// Starts observing hand-written `sql` as the tenant's.
    fn raw_call<'a>(&'a self, sql: &str) -> Call<'a> {
        self.scoped
            .executor()
            .route
            .telemetry
            .statement(What::Raw(sql))
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
        let call = self.raw_call(sql);
        let rows = retried_if_unsent(|| async {
            let route = self.scoped.executor().route().await?;
            let lease = route.lease().await?;
            lease.runs_raw_sql();
            pipeline::query(&lease, &route.begin.hand_written, sql, params).await
        });
        call.observe(rows, |rows| rows.len() as u64).await.map(wrap)
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
        let call = self.raw_call(&sql);
        let rows = retried_if_unsent(|| async {
            let route = self.scoped.executor().route().await?;
            let lease = route.lease().await?;
            lease.runs_raw_sql();
            pipeline::query(&lease, &NO_CONTEXT, &sql, &params).await
        });
        call.observe(rows, |rows| rows.len() as u64).await.map(wrap)
    }

    /// Runs hand-written SQL in the tenant's context and returns the rows it
    /// affected. Row-level security still applies: review every use.
    /// Retried once if its connection was lost before it was sent.
    pub async fn raw_execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        let call = self.raw_call(sql);
        let count = retried_if_unsent(|| async {
            let route = self.scoped.executor().route().await?;
            let lease = route.lease().await?;
            lease.runs_raw_sql();
            pipeline::execute(&lease, &route.begin.hand_written, sql, params).await
        });
        call.observe(count, |count| *count).await
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
