//! One statement in its tenant context, in one round trip.
//!
//! `BEGIN; SET LOCAL …`, the statement and `COMMIT` are all written to the
//! connection before the first response is awaited (tokio-postgres pipelines
//! requests that are polled together). Only prepared statements take part: a
//! statement given as text would need a Parse round trip first and would land
//! after the `COMMIT`, outside the context. The futures are polled in order
//! and all of them on the first poll, so either all requests are on the wire
//! or none is; if the statement fails, the `COMMIT` ends the aborted
//! transaction as a rollback.
//!
//! Behind a transaction-mode pooler that does not track prepared statements,
//! statements are not cached: each one is prepared inside its own
//! transaction (which pins one server connection), after the `BEGIN`. That
//! costs a second round trip.

use futures_util::future::{join, join3};
use postgres_types::ToSql;
use tokio_postgres::{Client, Row, RowStream, Statement};

use crate::Error;
use crate::lease::Lease;
use crate::param::check_all;

/// What to do with the prepared statement.
#[derive(Clone, Copy)]
enum Work {
    /// Collect the rows.
    Rows,
    /// Count the affected rows.
    Count,
}

/// The result of [`Work`].
enum Done {
    Rows(Vec<Row>),
    Count(u64),
}

impl Work {
    async fn run(
        self,
        client: &Client,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Done, tokio_postgres::Error> {
        match self {
            Work::Rows => client.query(statement, params).await.map(Done::Rows),
            Work::Count => client.execute(statement, params).await.map(Done::Count),
        }
    }
}

/// Prepares `sql` (cached per connection, unless the server is behind a
/// transaction-mode pooler) and checks `params` against the parameter types
/// PostgreSQL inferred, before anything else is sent.
pub(crate) async fn prepare(
    lease: &Lease,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Statement, Error> {
    let client = lease.client();
    let statement = if lease.caches_statements() {
        client.prepare_cached(sql).await?
    } else {
        client.prepare(sql).await?
    };
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
    match in_context(lease, begin, sql, params, Work::Rows).await? {
        Done::Rows(rows) => Ok(rows),
        Done::Count(_) => unreachable!("Work::Rows returns rows"),
    }
}

/// Runs a statement inside `begin` … `COMMIT` and returns the rows it affected.
pub(crate) async fn execute(
    lease: &Lease,
    begin: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, Error> {
    match in_context(lease, begin, sql, params, Work::Count).await? {
        Done::Count(count) => Ok(count),
        Done::Rows(_) => unreachable!("Work::Count returns a count"),
    }
}

async fn in_context(
    lease: &Lease,
    begin: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    work: Work,
) -> Result<Done, Error> {
    let client = lease.client();
    if lease.caches_statements() {
        let statement = prepare(lease, sql, params).await?;
        lease.begin_work();
        let (begun, done, committed) = join3(
            client.batch_execute(begin),
            work.run(client, &statement, params),
            client.batch_execute("COMMIT"),
        )
        .await;
        return settle(lease, begun.and(committed), done);
    }
    let statement = begin_and_prepare(lease, begin, sql, params).await?;
    let (done, committed) = join(
        work.run(client, &statement, params),
        client.batch_execute("COMMIT"),
    )
    .await;
    settle(lease, committed, done)
}

/// Sends `begin`, then prepares `sql` inside that transaction (uncached) and
/// checks `params`; on failure the transaction is ended.
async fn begin_and_prepare(
    lease: &Lease,
    begin: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Statement, Error> {
    let client = lease.client();
    lease.begin_work();
    let (begun, prepared) = join(client.batch_execute(begin), client.prepare(sql)).await;
    let checked = begun
        .and(prepared)
        .map_err(Error::from)
        .and_then(|statement| check_all(params, statement.params()).map(|()| statement));
    if checked.is_err() {
        let ended = client.batch_execute("ROLLBACK").await.map_err(Error::from);
        lease.end_work(&ended);
    }
    checked
}

/// Starts a row stream inside `begin`; the caller sends the `COMMIT` once the
/// rows are read.
pub(crate) async fn stream(
    lease: &Lease,
    begin: &str,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<RowStream, Error> {
    let client = lease.client();
    let rows = if lease.caches_statements() {
        let statement = prepare(lease, sql, params).await?;
        lease.begin_work();
        let (begun, rows) = join(
            client.batch_execute(begin),
            client.query_raw(&statement, params.iter().copied()),
        )
        .await;
        begun.and(rows)
    } else {
        let statement = begin_and_prepare(lease, begin, sql, params).await?;
        client.query_raw(&statement, params.iter().copied()).await
    };
    match rows {
        Ok(rows) => Ok(rows),
        Err(error) => {
            let error = Error::from(error);
            lease.note_failure(&error);
            let ended = client.batch_execute("ROLLBACK").await.map_err(Error::from);
            lease.end_work(&ended);
            Err(error)
        }
    }
}

/// The statement's outcome, its error first; marks the lease clean unless the
/// connection failed.
fn settle<T>(
    lease: &Lease,
    context: Result<(), tokio_postgres::Error>,
    outcome: Result<T, tokio_postgres::Error>,
) -> Result<T, Error> {
    let result = match (outcome, context) {
        (Err(error), _) | (Ok(_), Err(error)) => Err(Error::from(error)),
        (Ok(value), Ok(())) => Ok(value),
    };
    lease.end_work(&result);
    result
}
