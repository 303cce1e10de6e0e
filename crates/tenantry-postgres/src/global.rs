//! The handle for data shared by all tenants.

use std::ops::Deref;
use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt};
use tenantry_query::{Executor, GlobalScope, Statement};

use crate::Error;
use crate::pipeline::prepare;
use crate::row::{PgRow, wrap};
use crate::shared::{Shared, as_dyn, params};

/// Runs statements on global entities, outside any tenant context (where
/// row-level security shows no tenant's rows).
#[derive(Clone)]
pub struct GlobalExecutor {
    shared: Arc<Shared>,
}

impl Executor for GlobalExecutor {
    type Error = Error;
    type Row = PgRow;
    type RowStream = BoxStream<'static, Result<PgRow, Error>>;

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>, Error> {
        let lease = self.shared.main.lease().await?;
        let params = params(&statement.values);
        let params = as_dyn(&params);
        let prepared = prepare(&lease, &statement.sql, &params).await?;
        let rows = lease
            .client()
            .query(&prepared, &params)
            .await
            .map_err(Error::from);
        lease.end_work(&rows);
        Ok(wrap(rows?))
    }

    async fn execute(&self, statement: Statement) -> Result<u64, Error> {
        let lease = self.shared.main.lease().await?;
        let params = params(&statement.values);
        let params = as_dyn(&params);
        let prepared = prepare(&lease, &statement.sql, &params).await?;
        let affected = lease
            .client()
            .execute(&prepared, &params)
            .await
            .map_err(Error::from);
        lease.end_work(&affected);
        affected
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
