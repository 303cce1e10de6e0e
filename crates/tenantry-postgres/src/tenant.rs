//! The handle for one tenant: builds and runs statements in its context.

use std::ops::Deref;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use postgres_types::ToSql;
use tenantry_query::{Executor, Statement, TenantScoped};
use tokio_postgres::Row;
use tracing::Instrument;

use crate::Error;
use crate::pipeline;
use crate::placement::Placement;
use crate::route::Route;
use crate::row::{PgRow, wrap};
use crate::shared::{as_dyn, params};
use crate::transaction::TenantTransaction;

/// Runs a tenant's statements, each in its own transaction with the tenant
/// context set, in one round trip.
#[derive(Clone)]
pub struct TenantExecutor {
    route: Arc<Route>,
}

impl TenantExecutor {
    fn begin(&self) -> &str {
        &self.route.begin
    }
}

fn span(statement: &Statement) -> tracing::Span {
    tracing::debug_span!(
        "tenantry.statement",
        tenant = ?statement.tenant,
        table = statement.table,
        operation = %statement.operation,
    )
}

impl Executor for TenantExecutor {
    type Error = Error;
    type Row = PgRow;
    type RowStream = BoxStream<'static, Result<PgRow, Error>>;

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>, Error> {
        let span = span(&statement);
        async {
            let lease = self.route.lease().await?;
            let params = params(&statement.values);
            pipeline::query(&lease, self.begin(), &statement.sql, &as_dyn(&params))
                .await
                .map(wrap)
        }
        .instrument(span)
        .await
    }

    async fn execute(&self, statement: Statement) -> Result<u64, Error> {
        let span = span(&statement);
        async {
            let lease = self.route.lease().await?;
            let params = params(&statement.values);
            pipeline::execute(&lease, self.begin(), &statement.sql, &as_dyn(&params)).await
        }
        .instrument(span)
        .await
    }

    async fn stream(&self, statement: Statement) -> Result<Self::RowStream, Error> {
        let lease = self.route.lease().await?;
        let params = params(&statement.values);
        let rows = pipeline::stream(&lease, self.begin(), &statement.sql, &as_dyn(&params)).await?;
        Ok(
            stream::unfold(Some((lease, Box::pin(rows))), |state| async move {
                let (lease, mut rows) = state?;
                match rows.next().await {
                    Some(Ok(row)) => Some((Ok(PgRow(row)), Some((lease, rows)))),
                    Some(Err(error)) => Some((Err(Error::from(error)), None)),
                    None => {
                        let committed = lease
                            .client()
                            .batch_execute("COMMIT")
                            .await
                            .map_err(Error::from);
                        lease.end_work(&committed);
                        committed.err().map(|error| (Err(error), None))
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
    pub(crate) fn new(route: Arc<Route>) -> Self {
        let scoped = TenantScoped::new(route.tenant, route.schema());
        Self {
            scoped: scoped.with_executor(TenantExecutor { route }),
        }
    }

    /// Where the tenant's rows live.
    pub fn placement(&self) -> &Placement {
        &self.scoped.executor().route.placement
    }

    /// The server (by configured name) the tenant lives on.
    pub fn server(&self) -> &str {
        &self.scoped.executor().route.server.name
    }

    /// Starts a transaction in this tenant's context: several statements that
    /// commit or roll back together. Dropping it without `commit` rolls back.
    pub async fn transaction(&self) -> Result<TenantTransaction, Error> {
        let executor = self.scoped.executor();
        let lease = executor.route.lease().await?;
        TenantTransaction::begin(lease, self.scoped.scope().clone(), executor.begin()).await
    }

    /// Runs hand-written SQL in the tenant's context and returns its rows.
    /// Row-level security still applies, but nothing adds the tenant filter:
    /// review every use.
    pub async fn raw_query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error> {
        let executor = self.scoped.executor();
        let lease = executor.route.lease().await?;
        lease.runs_raw_sql();
        pipeline::query(&lease, executor.begin(), sql, params).await
    }

    /// Runs hand-written SQL in the tenant's context and returns the rows it
    /// affected. Row-level security still applies: review every use.
    pub async fn raw_execute(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error> {
        let executor = self.scoped.executor();
        let lease = executor.route.lease().await?;
        lease.runs_raw_sql();
        pipeline::execute(&lease, executor.begin(), sql, params).await
    }
}

impl Deref for Tenant {
    type Target = TenantScoped<TenantExecutor>;

    fn deref(&self) -> &Self::Target {
        &self.scoped
    }
}
