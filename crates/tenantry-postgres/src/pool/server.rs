//! A named PostgreSQL server: its pools, and the budget of connections that
//! all of them share.
//!
//! The server's own database has one pool (pool and schema placements, global
//! entities). Each tenant database gets a small pool of its own, created on
//! first use and closed when idle. Every connection to the server, in any of
//! these pools, holds one permit of the server's budget for as long as it is
//! open, so thousands of tenant databases never mean thousands of
//! connections. When the budget is spent, a new connection first closes idle
//! connections of other pools, then waits for a permit up to the configured
//! wait; after that the call fails with [`Error::PoolTimeout`].
//!
//! Batch work ([`Work::Batch`]) has pools of the same shape within a budget
//! of its own, so that long exports and imports never hold a connection that
//! requests are waiting for.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;

use super::lease::Lease;
use super::pools::{PoolSizes, Pools};
use super::server_limits::ServerLimits;
use crate::Error;
use crate::limits::work::Work;
use crate::options::ConnectOptions;
use crate::placement::Placement;

/// One named PostgreSQL server and its pools: those of requests, and
/// those of batch work, each kind within its own budget.
pub(crate) struct Server {
    pub(crate) name: String,
    options: ConnectOptions,
    limits: ServerLimits,
    requests: Arc<Pools>,
    batch: Arc<Pools>,
}

impl Server {
    pub(crate) fn new(name: String, options: ConnectOptions, limits: ServerLimits) -> Arc<Self> {
        let requests = PoolSizes {
            main: limits.main_pool_size,
            database: limits.database_pool_size,
            budget: limits.budget,
        };
        let batch = PoolSizes {
            main: limits.batch_connections,
            database: limits.batch_connections,
            budget: limits.batch_connections,
        };
        Arc::new(Server {
            requests: Pools::new(options.clone(), requests, limits),
            batch: Pools::new(options.clone(), batch, limits),
            name,
            options,
            limits,
        })
    }

    /// The pools of `work`.
    fn pools(&self, work: Work) -> &Pools {
        match work {
            Work::Request => &self.requests,
            Work::Batch => &self.batch,
        }
    }

    /// Borrows a connection to the server's own database, for a request.
    pub(crate) async fn lease(&self) -> Result<Lease, Error> {
        Lease::acquire(&self.requests.pool_for(&Placement::Pool), self.limits.wait).await
    }

    /// Borrows a connection for `work` where `placement`'s rows are: the
    /// server's own database, or a tenant database (its pool opened on
    /// first use).
    pub(crate) async fn lease_for(
        &self,
        placement: &Placement,
        work: Work,
    ) -> Result<Lease, Error> {
        Lease::acquire(&self.pools(work).pool_for(placement), self.limits.wait).await
    }

    /// A permit for a connection opened outside the pools (the registry
    /// listener), so that it counts against the requests' budget too.
    pub(crate) async fn permit_outside_pools(&self) -> Option<OwnedSemaphorePermit> {
        self.requests.permit_outside_pools().await
    }

    /// Closes connections unused for at least `idle`, in every pool, and drops
    /// the pools of tenant databases that no longer hold a connection.
    pub(crate) fn close_idle(&self, idle: Duration) {
        self.requests.close_idle(idle);
        self.batch.close_idle(idle);
    }

    /// The size of the pool that serves `placement`'s requests.
    pub(crate) fn pool_size(&self, placement: &Placement) -> usize {
        match placement {
            Placement::Database(_) => self.limits.database_pool_size,
            Placement::Pool | Placement::Schema(_) => self.limits.main_pool_size,
        }
    }

    /// Connections open to this server now, across every pool of requests
    /// and of batch work.
    pub(crate) fn open_connections(&self) -> usize {
        self.requests.open() + self.batch.open()
    }

    /// How the server is reached.
    pub(crate) fn options(&self) -> &ConnectOptions {
        &self.options
    }

    /// The configured idle timeout.
    pub(crate) fn idle_timeout(&self) -> Duration {
        self.limits.idle_timeout
    }
}
