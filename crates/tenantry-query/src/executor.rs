//! The seam between building a statement and running it.
//!
//! The query layer never touches a connection: a handle's executor (supplied
//! by the PostgreSQL layer) runs what the builders produce, and the builders'
//! terminal methods (`all`, `one`, `exec`, ...) call it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_core::Stream;

use crate::entity::RowReader;
use crate::{Error, Statement};

/// Runs built statements. Implemented by the PostgreSQL layer's handles.
pub trait Executor: Sync {
    /// The error of a failed run; query-layer errors convert into it.
    type Error: From<Error> + Send;
    /// A result row.
    type Row: RowReader + Send;
    /// Rows delivered as they arrive.
    type RowStream: Stream<Item = Result<Self::Row, Self::Error>> + Send + Unpin;

    /// Runs a statement that returns rows and collects them.
    fn fetch(
        &self,
        statement: Statement,
    ) -> impl Future<Output = Result<Vec<Self::Row>, Self::Error>> + Send;

    /// Runs a statement and returns how many rows it affected.
    fn execute(
        &self,
        statement: Statement,
    ) -> impl Future<Output = Result<u64, Self::Error>> + Send;

    /// Runs a statement that returns rows and streams them.
    fn stream(
        &self,
        statement: Statement,
    ) -> impl Future<Output = Result<Self::RowStream, Self::Error>> + Send;
}

/// Runs `statement` and decodes every row.
pub(crate) async fn fetch_all<X, T>(
    executor: &X,
    statement: Result<Statement, Error>,
    decode: fn(&X::Row) -> Result<T, Error>,
) -> Result<Vec<T>, X::Error>
where
    X: Executor,
{
    let rows = executor.fetch(statement?).await?;
    rows.iter()
        .map(|row| decode(row).map_err(X::Error::from))
        .collect()
}

/// Runs `statement` and decodes at most one row.
pub(crate) async fn fetch_optional<X, T>(
    executor: &X,
    statement: Result<Statement, Error>,
    decode: fn(&X::Row) -> Result<T, Error>,
) -> Result<Option<T>, X::Error>
where
    X: Executor,
{
    let statement = statement?;
    let table = statement.table();
    let rows = executor.fetch(statement).await?;
    match rows.as_slice() {
        [] => Ok(None),
        [row] => Ok(Some(decode(row)?)),
        _ => Err(Error::TooManyRows {
            table,
            count: rows.len(),
        }
        .into()),
    }
}

/// Runs `statement` and decodes exactly one row.
pub(crate) async fn fetch_one<X, T>(
    executor: &X,
    statement: Result<Statement, Error>,
    decode: fn(&X::Row) -> Result<T, Error>,
) -> Result<T, X::Error>
where
    X: Executor,
{
    let statement = statement?;
    let table = statement.table();
    fetch_optional(executor, Ok(statement), decode)
        .await?
        .ok_or_else(|| Error::NoRows { table }.into())
}

/// Runs `statement` and returns the rows it affected.
pub(crate) async fn execute<X: Executor>(
    executor: &X,
    statement: Result<Statement, Error>,
) -> Result<u64, X::Error> {
    executor.execute(statement?).await
}

/// Runs `statement` and streams decoded rows.
pub(crate) async fn stream<X, T>(
    executor: &X,
    statement: Result<Statement, Error>,
    decode: fn(&X::Row) -> Result<T, Error>,
) -> Result<Decoded<X, T>, X::Error>
where
    X: Executor,
{
    let rows = executor.stream(statement?).await?;
    Ok(Decoded { rows, decode })
}

/// A stream of decoded rows, returned by `Select::stream`.
pub struct Decoded<X: Executor, T> {
    rows: X::RowStream,
    decode: fn(&X::Row) -> Result<T, Error>,
}

impl<X: Executor, T> Stream for Decoded<X, T> {
    type Item = Result<T, X::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let decode = self.decode;
        Pin::new(&mut self.rows)
            .poll_next(cx)
            .map(|item| item.map(|row| row.and_then(|row| decode(&row).map_err(X::Error::from))))
    }
}

impl<X: Executor, T> std::fmt::Debug for Decoded<X, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded").finish_non_exhaustive()
    }
}
