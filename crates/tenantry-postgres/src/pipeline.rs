//! One statement in its tenant context, in one round trip.
//!
//! `BEGIN; SET LOCAL …`, the statement and `COMMIT` are all written to the
//! connection before the first response is awaited (tokio-postgres pipelines
//! requests that are polled together). Only prepared statements take part: a
//! statement given as text would need a Parse round trip first and would land
//! after the `COMMIT`, outside the context. The three futures are polled in
//! order and all of them on the first poll, so either all three requests are
//! on the wire or none is; if the statement fails, the `COMMIT` ends the
//! aborted transaction as a rollback.

use futures_util::future::join3;
use postgres_types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::Error;
use crate::lease::Lease;
use crate::param::check_all;

/// Prepares `sql` (cached per connection) and checks `params` against the
/// parameter types PostgreSQL inferred, before anything else is sent.
pub(crate) async fn prepare(
    lease: &Lease,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Statement, Error> {
    let statement = lease.client().prepare_cached(sql).await?;
    check_all(params, statement.params())?;
    Ok(statement)
}

/// Runs a row-returning statement inside `begin` … `COMMIT`.
pub(crate) async fn query(
    lease: &Lease,
    begin: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, Error> {
    let statement = prepare(lease, sql, params).await?;
    let client = lease.client();
    lease.begin_work();
    let (begun, rows, committed) = join3(
        client.batch_execute(begin),
        client.query(&statement, params),
        client.batch_execute("COMMIT"),
    )
    .await;
    settle(lease, begun, rows, committed)
}

/// Runs a statement inside `begin` … `COMMIT` and returns the rows it affected.
pub(crate) async fn execute(
    lease: &Lease,
    begin: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, Error> {
    let statement = prepare(lease, sql, params).await?;
    let client = lease.client();
    lease.begin_work();
    let (begun, affected, committed) = join3(
        client.batch_execute(begin),
        client.execute(&statement, params),
        client.batch_execute("COMMIT"),
    )
    .await;
    settle(lease, begun, affected, committed)
}

/// The statement's outcome, its error first; marks the lease clean unless the
/// connection failed.
fn settle<T>(
    lease: &Lease,
    begun: Result<(), tokio_postgres::Error>,
    outcome: Result<T, tokio_postgres::Error>,
    committed: Result<(), tokio_postgres::Error>,
) -> Result<T, Error> {
    let result = match (begun, outcome, committed) {
        (_, Err(error), _) | (Err(error), _, _) | (_, _, Err(error)) => Err(Error::from(error)),
        (Ok(()), Ok(value), Ok(())) => Ok(value),
    };
    lease.end_work(&result);
    result
}
