//! One statement in its tenant context, in one round trip.
//!
//! The context is added to the statement's own message group by the
//! connection's stream (see [`crate::transport::wire`]): the server runs all of it
//! before one Sync and answers with one ReadyForQuery. For a built statement
//! the context is one shared statement and the group is the transaction,
//! committed at its Sync; otherwise it is `BEGIN; SET LOCAL …`, and a
//! `COMMIT` goes before the Sync (see [`crate::context::start`]). Only
//! prepared statements take part, so the statement is prepared (cached per
//! connection) and its parameters are checked before anything of the group
//! is sent. If a message of the group fails, the server skips the rest of
//! it: an implicit transaction is rolled back at the Sync, and a transaction
//! block left aborted is rolled back before the connection is released.
//!
//! Behind a transaction-mode pooler that does not track prepared statements,
//! statements are not cached: each one is prepared inside its own
//! transaction (which pins one server connection), after the `BEGIN`. That
//! costs a second round trip.

use std::sync::LazyLock;

use futures_util::future::join;
use postgres_types::ToSql;
use tokio_postgres::{Client, Row, RowStream, Statement};

use crate::Error;
use crate::context::param::check_all;
use crate::context::start::TransactionStart;
use crate::pool::Lease;
use crate::transport::wire::{ContextMessages, SpliceEnd};

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
    ) -> Result<Done, Error> {
        let done = match self {
            Work::Rows => client.query(statement, params).await.map(Done::Rows),
            Work::Count => client.execute(statement, params).await.map(Done::Count),
        };
        done.map_err(Error::from)
    }
}

/// The `COMMIT` added at the end of a statement's group.
static COMMIT: LazyLock<ContextMessages> = LazyLock::new(|| ContextMessages::new(["COMMIT"]));

/// Prepares `sql` (cached per connection, unless the server is behind a
/// transaction-mode pooler) and checks `params` against the parameter types
/// PostgreSQL inferred, before anything else is sent; the statement is then
/// about to be sent (see [`Lease::sending`]).
pub(crate) async fn prepare(
    lease: &Lease,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Statement, Error> {
    let client = lease.client();
    let prepared = match client.statements() {
        Some(cache) => cache.prepare(client, sql).await,
        None => client.prepare(sql).await,
    };
    let statement = prepared.map_err(|error| Error::from(error).unsent())?;
    check_all(params, statement.params())?;
    lease.sending();
    Ok(statement)
}

/// Runs a row-returning statement in the transaction `start` opens.
pub(crate) async fn query(
    lease: &Lease,
    start: &TransactionStart,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, Error> {
    match in_context(lease, start, sql, params, Work::Rows).await? {
        Done::Rows(rows) => Ok(rows),
        Done::Count(_) => unreachable!("Work::Rows returns rows"),
    }
}

/// Runs a statement in the transaction `start` opens and returns the rows
/// it affected.
pub(crate) async fn execute(
    lease: &Lease,
    start: &TransactionStart,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, Error> {
    match in_context(lease, start, sql, params, Work::Count).await? {
        Done::Count(count) => Ok(count),
        Done::Rows(_) => unreachable!("Work::Count returns a count"),
    }
}

async fn in_context(
    lease: &Lease,
    start: &TransactionStart,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    work: Work,
) -> Result<Done, Error> {
    let client = lease.client();
    if lease.caches_statements() {
        let statement = prepare_in_work(lease, sql, params).await?;
        match &start.in_group {
            Some(context) => client.splicer().splice(sql, context, None),
            None => client.splicer().splice(sql, &start.messages, Some(&COMMIT)),
        }
        let done = work.run(client, &statement, params).await;
        return end_spliced(lease, done).await;
    }
    let statement = begin_and_prepare(lease, start, sql, params).await?;
    let (done, committed) = join(
        work.run(client, &statement, params),
        client.batch_execute("COMMIT"),
    )
    .await;
    let done = done.and_then(|done| committed.map(|()| done).map_err(Error::from));
    lease.end_work(done)
}

/// Starts the unit of work, then prepares `sql` (cached) and checks `params`;
/// on failure the unit of work ends, nothing being open on the server.
///
/// The unit of work starts first: preparing may send requests of its own
/// (type lookups), and if the call is dropped with one of them still queued,
/// the connection must be closed, never lent with that request waiting.
async fn prepare_in_work(
    lease: &Lease,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Statement, Error> {
    lease.begin_work();
    match prepare(lease, sql, params).await {
        Ok(statement) => Ok(statement),
        failed => lease.end_work(failed),
    }
}

/// Sends `start`, then prepares `sql` inside that transaction (uncached) and
/// checks `params`; on failure the transaction is ended.
async fn begin_and_prepare(
    lease: &Lease,
    start: &TransactionStart,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Statement, Error> {
    let client = lease.client();
    lease.begin_work();
    let (begun, prepared) = join(start.send(client, &start.sql), client.prepare(sql)).await;
    let checked = begun
        .and(prepared)
        .map_err(|error| Error::from(error).unsent())
        .and_then(|statement| check_all(params, statement.params()).map(|()| statement));
    match checked {
        Ok(statement) => {
            lease.sending();
            Ok(statement)
        }
        Err(error) => {
            let error = lease.failed(error);
            // The statement's error is the call's; the rollback's own is
            // recorded on the lease.
            let ended = client.batch_execute("ROLLBACK").await.map_err(Error::from);
            lease.end_work(ended).ok();
            Err(error)
        }
    }
}

/// Starts a row stream in the transaction `start` opens; the caller sends
/// the `COMMIT` once the rows are read.
pub(crate) async fn stream(
    lease: &Lease,
    start: &TransactionStart,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<RowStream, Error> {
    let client = lease.client();
    if lease.caches_statements() {
        let statement = prepare_in_work(lease, sql, params).await?;
        client.splicer().splice(sql, &start.messages, None);
        return match client.query_raw(&statement, params.iter().copied()).await {
            Ok(rows) => Ok(rows),
            Err(error) => end_spliced(lease, Err(Error::from(error))).await,
        };
    }
    let statement = begin_and_prepare(lease, start, sql, params).await?;
    match client.query_raw(&statement, params.iter().copied()).await {
        Ok(rows) => Ok(rows),
        Err(error) => {
            let error = lease.failed(Error::from(error));
            // The statement's error is the call's; the rollback's own is
            // recorded on the lease.
            let ended = client.batch_execute("ROLLBACK").await.map_err(Error::from);
            lease.end_work(ended).ok();
            Err(error)
        }
    }
}

/// Ends the unit of work of a spliced statement: a transaction that a
/// failure left open is rolled back first. If that fails too, or the
/// transaction is open after a success (which no statement sent here should
/// manage), the lease stays in its unit of work, so the connection is
/// closed, never lent inside a transaction. A group the stream refused is
/// the statement's error, whatever the driver said (the connection ended).
async fn end_spliced<T>(lease: &Lease, outcome: Result<T, Error>) -> Result<T, Error> {
    let client = lease.client();
    let outcome = match client.splicer().finish().await {
        SpliceEnd::Refused(unrecognised) => Err(Error::from(unrecognised)),
        SpliceEnd::LeftOpen
            if outcome.is_ok() || client.batch_execute("ROLLBACK").await.is_err() =>
        {
            return outcome.map_err(|error| lease.failed(error));
        }
        SpliceEnd::Unsent | SpliceEnd::LeftOpen | SpliceEnd::Ended => outcome,
    };
    lease.end_work(outcome)
}

#[cfg(test)]
mod tests;
