//! A unit of the operator's work in a transaction of its own.

use tokio_postgres::Client;

use crate::Error;

/// Runs `work` in a transaction of its own: commits if it succeeds, and
/// rolls back if not, so the connection stays usable.
pub(crate) async fn in_transaction<T>(
    client: &Client,
    work: impl AsyncFnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    client.batch_execute("BEGIN").await?;
    let outcome = work().await;
    match outcome {
        Ok(_) => client.batch_execute("COMMIT").await?,
        Err(_) => client.batch_execute("ROLLBACK").await?,
    }
    outcome
}
