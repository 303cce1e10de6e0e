//! What every handle of one `Tenantry` shares: the pool and the settings.

use deadpool_postgres::Pool;
use postgres_types::ToSql;
use sea_query::Value;

use crate::lease::Lease;
use crate::param::Param;
use crate::{Config, Error};

/// The pool and settings behind every handle.
pub(crate) struct Shared {
    pub(crate) pool: Pool,
    pub(crate) config: Config,
}

impl Shared {
    /// Borrows a connection.
    pub(crate) async fn lease(&self) -> Result<Lease, Error> {
        Lease::acquire(&self.pool, self.config.wait_timeout).await
    }
}

/// The bind values of a built statement as driver parameters.
pub(crate) fn params(values: &[Value]) -> Vec<Param<'_>> {
    values.iter().map(Param).collect()
}

/// Borrows parameters as the driver takes them.
pub(crate) fn as_dyn<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|param| param as &(dyn ToSql + Sync))
        .collect()
}
