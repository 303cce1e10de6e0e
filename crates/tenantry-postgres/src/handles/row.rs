//! Result rows, as the query layer reads them.

use postgres_types::FromSql;
use tenantry_query::RowReader;

/// A result row of a tenantry statement.
pub struct PgRow(pub(crate) tokio_postgres::Row);

impl PgRow {
    /// The driver's row.
    pub fn into_inner(self) -> tokio_postgres::Row {
        self.0
    }
}

impl RowReader for PgRow {
    fn read<T>(&self, index: usize) -> Result<T, Box<dyn std::error::Error + Send + Sync>>
    where
        T: for<'a> FromSql<'a>,
    {
        self.0.try_get(index).map_err(Into::into)
    }
}

/// Wraps the driver's rows.
pub(crate) fn wrap(rows: Vec<tokio_postgres::Row>) -> Vec<PgRow> {
    rows.into_iter().map(PgRow).collect()
}
