//! Transactions as closures: committed when the closure returns `Ok`,
//! rolled back when it returns `Err` or panics, run again after a
//! serialization failure or a deadlock, with savepoints for nested work.

use tokio_postgres::error::SqlState;

use crate::Error;
use crate::handles::tenant::Tenant;
use crate::handles::transaction::TenantTransaction;
use crate::handles::transaction_options::TransactionOptions;

/// Work run in a transaction: an async closure borrowing the transaction
/// (`async |tx| { ... }`), or any closure returning a future that borrows it.
pub trait TransactionWork<T>:
    for<'t> AsyncFnMut(&'t TenantTransaction) -> Result<T, Error> + Send
{
}

impl<T, F> TransactionWork<T> for F where
    F: for<'t> AsyncFnMut(&'t TenantTransaction) -> Result<T, Error> + Send
{
}

/// Whether `error` is PostgreSQL's verdict that the transaction could not
/// be serialized with others, or deadlocked: running it again may succeed.
fn retryable(error: &Error) -> bool {
    let Error::Database { source } = error else {
        return false;
    };
    matches!(
        source.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
    )
}

impl Tenant {
    /// Runs `work` in a transaction of this tenant: committed when it
    /// returns `Ok`, rolled back when it returns `Err` or panics (the
    /// transaction is dropped, which rolls it back). A serialization failure
    /// or a deadlock, in `work` or at the commit, runs it again in a new
    /// transaction, up to `options`' attempts; the last error is returned.
    ///
    /// ```no_run
    /// # use tenantry_postgres::{Error, Isolation, Tenant, TransactionOptions};
    /// # async fn demo(acme: Tenant) -> Result<(), Error> {
    /// let options = TransactionOptions::default().isolation(Isolation::Serializable);
    /// let rows = acme
    ///     .run_transaction(options, async |tx| {
    ///         tx.raw_execute("UPDATE counters SET n = n + 1", &[]).await
    ///     })
    ///     .await?;
    /// # let _ = rows; Ok(()) }
    /// ```
    pub async fn run_transaction<T, W>(
        &self,
        options: TransactionOptions,
        mut work: W,
    ) -> Result<T, Error>
    where
        W: TransactionWork<T>,
    {
        let mut attempt = 1;
        loop {
            let outcome = self.attempt(&options, &mut work).await;
            match outcome {
                Err(error) if attempt < options.allowed_attempts() && retryable(&error) => {
                    tracing::debug!(%error, attempt, "running a transaction again");
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn attempt<T, W: TransactionWork<T>>(
        &self,
        options: &TransactionOptions,
        work: &mut W,
    ) -> Result<T, Error> {
        let transaction = self.transaction_with(options).await?;
        match work(&transaction).await {
            Ok(value) => transaction.commit().await.map(|()| value),
            Err(error) => {
                if !error.poisons_connection() {
                    transaction.rollback().await?;
                }
                Err(error)
            }
        }
    }
}

impl TenantTransaction {
    /// Runs `work` inside a savepoint of this transaction: released when it
    /// returns `Ok`, rolled back to when it returns `Err`, which leaves the
    /// rest of the transaction as it was and usable.
    pub async fn savepoint<T, W>(&self, mut work: W) -> Result<T, Error>
    where
        W: TransactionWork<T>,
    {
        let name = self.next_savepoint();
        self.command(&format!("SAVEPOINT {name}")).await?;
        match work(self).await {
            Ok(value) => {
                self.command(&format!("RELEASE SAVEPOINT {name}")).await?;
                Ok(value)
            }
            Err(error) => {
                if !error.poisons_connection() {
                    self.command(&format!("ROLLBACK TO SAVEPOINT {name}"))
                        .await?;
                }
                Err(error)
            }
        }
    }
}
