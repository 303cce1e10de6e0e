//! Result rows, as the query layer reads them.

use std::fmt;

use postgres_types::FromSql;
use tenantry_query::RowReader;
use tokio_postgres::row::RowIndex;

use crate::Error;

/// A result row of a tenantry statement, or of hand-written SQL.
#[derive(Debug)]
pub struct PgRow(pub(crate) tokio_postgres::Row);

impl PgRow {
    /// The value of column `index` (a position or a name) as a `T`.
    ///
    /// # Panics
    ///
    /// If there is no such column or its value is not a `T`; see
    /// [`PgRow::try_get`].
    pub fn get<'a, I, T>(&'a self, index: I) -> T
    where
        I: RowIndex + fmt::Display,
        T: FromSql<'a>,
    {
        self.0.get(index)
    }

    /// The value of column `index` (a position or a name) as a `T`, or why
    /// it cannot be read.
    pub fn try_get<'a, I, T>(&'a self, index: I) -> Result<T, Error>
    where
        I: RowIndex + fmt::Display,
        T: FromSql<'a>,
    {
        self.0.try_get(index).map_err(Error::from)
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the row has no column.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

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
