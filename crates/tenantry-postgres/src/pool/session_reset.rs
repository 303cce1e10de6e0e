//! Resetting a session that hand-written SQL ran on, before its next borrower.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::{SimpleQueryMessage, SimpleQueryRow};

use crate::transport::wire::shared::SHARED_STATEMENTS;

/// Everything `DISCARD ALL` resets but the prepared statements: settings,
/// role, temporary tables, cursors, listeners, advisory locks, cached plans.
const RESET: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; \
     UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES";

/// The session's prepared statements: those prepared in SQL, and those
/// prepared over the protocol (by the driver, for the statement cache and
/// its own type lookups, and the shared context statements).
const COUNT_STATEMENTS: &str = "SELECT count(*) FILTER (WHERE from_sql), \
     count(*) FILTER (WHERE NOT from_sql) FROM pg_prepared_statements";

/// Resets the session of `client`, whose driver has `prepared` named
/// statements open as its stream saw them prepared and closed (`None`: the
/// connection caches none); `Ok(false)` when the connection must not be
/// lent again because hand-written SQL changed its prepared statements.
///
/// Prepared statements are not discarded: the driver keeps some of its own
/// that it cannot be told to forget. Instead, on a connection that caches
/// statements, they are checked. SQL can only prepare statements
/// `from_sql`, so any such statement (one could carry the name of a built
/// statement it replaced) condemns the connection, and so does a count of
/// the others that differs from what the stream saw the driver prepare
/// (SQL deallocated some).
/// Behind a transaction-mode pooler nothing is cached, and the reset reaches
/// whichever server connection the pooler picks: there it is done without
/// the check.
pub(crate) async fn reset_session(
    client: &ClientWrapper,
    prepared: Option<usize>,
) -> Result<bool, tokio_postgres::Error> {
    let Some(prepared) = prepared else {
        client.batch_execute(RESET).await?;
        return Ok(true);
    };
    let messages = client
        .simple_query(&format!("{RESET}; {COUNT_STATEMENTS}"))
        .await?;
    let counts = messages.iter().rev().find_map(|message| match message {
        SimpleQueryMessage::Row(row) => Some((count(row, 0), count(row, 1))),
        _ => None,
    });
    Ok(counts == Some((0, prepared + SHARED_STATEMENTS.len())))
}

/// Column `index` of the counts row (unreadable counts as too many).
fn count(row: &SimpleQueryRow, index: usize) -> usize {
    row.try_get(index)
        .ok()
        .flatten()
        .and_then(|text| text.parse().ok())
        .unwrap_or(usize::MAX)
}
