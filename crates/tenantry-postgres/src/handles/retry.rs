//! One more try for a statement whose connection was lost before it was sent.

use std::future::Future;

use crate::Error;

/// Runs `attempt` (which borrows its own connection, and releases it before
/// it returns) and, if its connection was lost before any of the statement
/// was written to it, runs it once more: the server never saw the first
/// attempt, so the second cannot run the statement twice. The second goes
/// the same way as the first (the same route, context and checks) on
/// another connection: the lost one is closed, and the pool lends no
/// connection that its server has closed.
pub(crate) async fn retried_if_unsent<T, Attempt, Fut>(mut attempt: Attempt) -> Result<T, Error>
where
    Attempt: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    match attempt().await {
        Err(error) if error.never_sent() => {
            tracing::debug!(%error, "retrying a statement that never reached the server");
            attempt().await
        }
        outcome => outcome,
    }
}
