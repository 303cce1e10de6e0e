//! The handle for data shared by all tenants.

use std::ops::Deref;
use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt};
use tenantry_query::{Executor, GlobalScope, Scope, Statement};

use crate::Error;
use crate::context::param::{as_dyn, params};
use crate::context::pipeline;
use crate::context::start::BEGIN_WITHOUT_TENANT;
use crate::handles::retry::retried_if_unsent;
use crate::handles::row::{PgRow, wrap};
use crate::handles::shared::Shared;

/// Runs statements on global entities, outside any tenant context: each in
/// a transaction of its own where the tenant setting is empty (so row-level
/// security shows no tenant's rows), pipelined the same way as a tenant's,
/// and retried the same way when its connection was lost before it was sent,
/// each in a `tenantry.statement` span without a tenant (placement `global`).
#[derive(Clone)]
pub struct GlobalExecutor {
    shared: Arc<Shared>,
}

impl Executor for GlobalExecutor {
    type Error = Error;
    type Row = PgRow;
    type RowStream = BoxStream<'static, Result<PgRow, Error>>;

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>, Error> {
        statement.ensure_built_for(&Scope::global())?;
        let params = params(&statement);
        let rows = || {
            retried_if_unsent(|| async {
                let lease = self.shared.servers.main().lease().await?;
                pipeline::query(
                    &lease,
                    &BEGIN_WITHOUT_TENANT,
                    statement.sql(),
                    &as_dyn(&params),
                )
                .await
            })
        };
        let telemetry = &self.shared.global_telemetry;
        telemetry
            .observe(&statement, rows, |rows| rows.len() as u64)
            .await
            .map(wrap)
    }

    async fn execute(&self, statement: Statement) -> Result<u64, Error> {
        statement.ensure_built_for(&Scope::global())?;
        let params = params(&statement);
        let count = || {
            retried_if_unsent(|| async {
                let lease = self.shared.servers.main().lease().await?;
                pipeline::execute(
                    &lease,
                    &BEGIN_WITHOUT_TENANT,
                    statement.sql(),
                    &as_dyn(&params),
                )
                .await
            })
        };
        let telemetry = &self.shared.global_telemetry;
        telemetry.observe(&statement, count, |count| *count).await
    }

    /// Global tables are reference data: rows are collected, then streamed.
    async fn stream(&self, statement: Statement) -> Result<Self::RowStream, Error> {
        let rows = self.fetch(statement).await?;
        Ok(futures_util::stream::iter(rows.into_iter().map(Ok)).boxed())
    }
}

/// The handle for global entities: it dereferences to [`GlobalScope`].
#[derive(Clone)]
pub struct Global {
    scoped: GlobalScope<GlobalExecutor>,
}

impl Global {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            scoped: GlobalScope::new().with_executor(GlobalExecutor { shared }),
        }
    }
}

impl Deref for Global {
    type Target = GlobalScope<GlobalExecutor>;

    fn deref(&self) -> &Self::Target {
        &self.scoped
    }
}

impl std::fmt::Debug for GlobalExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalExecutor")
            .field("server", &self.shared.servers.main().name)
            .finish()
    }
}

impl std::fmt::Debug for Global {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Global")
            .field("executor", self.scoped.executor())
            .finish()
    }
}
