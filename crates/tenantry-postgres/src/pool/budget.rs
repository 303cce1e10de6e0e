//! The connections a server may have open at once for one kind of work
//! (requests, or batch work), shared by all its pools of that kind.
//!
//! Every connection to the server, in any pool, holds one permit for as long
//! as it is open. When none is free, a new connection first has the server
//! close idle connections of every pool, then waits for a permit, up to the
//! configured wait.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// No permit became free within the wait.
#[derive(Debug)]
pub(crate) struct BudgetSpent;

/// A server's connection budget.
pub(crate) struct Budget {
    permits: Arc<Semaphore>,
    total: usize,
    wait: Duration,
    /// Closes the idle connections of every pool of the server, to free
    /// permits: set once by the server, which owns the pools.
    reclaim: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl Budget {
    /// A budget of `total` connections, waited for at most `wait`.
    pub(crate) fn new(total: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(total)),
            total,
            wait,
            reclaim: OnceLock::new(),
        }
    }

    /// Sets what frees permits by closing idle connections.
    pub(crate) fn reclaim_with(&self, reclaim: impl Fn() + Send + Sync + 'static) {
        let _ = self.reclaim.set(Box::new(reclaim));
    }

    /// A permit for one more open connection: at once if the budget allows,
    /// else after closing idle connections, else when one is released.
    pub(crate) async fn permit(&self) -> Result<OwnedSemaphorePermit, BudgetSpent> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if let Some(reclaim) = self.reclaim.get() {
            reclaim();
        }
        tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| BudgetSpent)?
            .map_err(|_| BudgetSpent)
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.total - self.permits.available_permits()
    }
}
