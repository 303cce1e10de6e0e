//! Resetting a session that hand-written SQL ran on, before its next borrower.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::{SimpleQueryMessage, SimpleQueryRow};

/// Everything `DISCARD ALL` resets but the prepared statements (settings,
/// role, temporary tables, cursors, listeners, advisory locks, cached plans),
/// then a count of the session's prepared statements: those prepared in SQL,
/// and those prepared by the driver.
const RESET_AND_COUNT: &str = "CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; \
     UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES; \
     SELECT count(*) FILTER (WHERE from_sql), count(*) FILTER (WHERE NOT from_sql) \
     FROM pg_prepared_statements";

/// Resets the session of `client`; `Ok(false)` when the connection must not
/// be lent again because hand-written SQL changed its prepared statements.
///
/// Prepared statements are not discarded: the driver keeps some of its own
/// that it cannot be told to forget. Instead they are checked. SQL can only
/// prepare statements `from_sql`, so any such statement (one could carry the
/// name of a built statement it replaced) condemns the connection, and so
/// does having fewer driver statements than the statement cache holds (SQL
/// deallocated some).
pub(crate) async fn reset_session(client: &ClientWrapper) -> Result<bool, tokio_postgres::Error> {
    let messages = client.simple_query(RESET_AND_COUNT).await?;
    let counts = messages.iter().rev().find_map(|message| match message {
        SimpleQueryMessage::Row(row) => Some((count(row, 0), count(row, 1))),
        _ => None,
    });
    Ok(matches!(counts, Some((0, driver)) if driver >= client.statement_cache.size()))
}

/// Column `index` of the counts row (unreadable counts as too many).
fn count(row: &SimpleQueryRow, index: usize) -> usize {
    row.try_get(index)
        .ok()
        .flatten()
        .and_then(|text| text.parse().ok())
        .unwrap_or(usize::MAX)
}
