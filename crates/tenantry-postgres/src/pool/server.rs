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

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::managed::Metrics;
use tenantry_query::Identifier;
use tokio::sync::OwnedSemaphorePermit;

use super::budget::Budget;
use super::lease::Lease;
use super::manager::{BudgetedClient, BudgetedManager, CONNECT_TIMEOUT, Pool};
use crate::Error;
use crate::options::ConnectOptions;
use crate::placement::Placement;

/// Limits on a server's connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerLimits {
    /// Connections of the server's own database pool.
    pub(crate) main_pool_size: usize,
    /// Connections of each tenant database's pool.
    pub(crate) database_pool_size: usize,
    /// Connections to the server in all, across every pool.
    pub(crate) budget: usize,
    /// How long a call waits for a connection.
    pub(crate) wait: Duration,
    /// How long an unused connection stays open.
    pub(crate) idle_timeout: Duration,
    /// The prepared statements cached per connection (`None`: none are).
    pub(crate) statement_cache: Option<NonZeroUsize>,
    /// Whether a role that skips row-level security is accepted.
    pub(crate) allow_privileged_role: bool,
    /// How long a connection is lent before it is replaced.
    pub(crate) connection_lifetime: Duration,
}

/// One named PostgreSQL server and its pools.
pub(crate) struct Server {
    pub(crate) name: String,
    options: ConnectOptions,
    limits: ServerLimits,
    budget: Arc<Budget>,
    main: Pool,
    databases: Mutex<HashMap<Identifier, (Pool, Instant)>>,
}

impl Server {
    pub(crate) fn new(name: String, options: ConnectOptions, limits: ServerLimits) -> Arc<Self> {
        let budget = Arc::new(Budget::new(limits.budget, limits.wait));
        let server = Arc::new(Server {
            main: build_pool(&budget, options.clone(), limits.main_pool_size, &limits),
            name,
            options,
            limits,
            budget: budget.clone(),
            databases: Mutex::new(HashMap::new()),
        });
        let weak = Arc::downgrade(&server);
        budget.reclaim_with(move || {
            if let Some(server) = weak.upgrade() {
                server.close_idle(Duration::ZERO);
            }
        });
        server
    }

    /// Borrows a connection to the server's own database.
    pub(crate) async fn lease(&self) -> Result<Lease, Error> {
        Lease::acquire(&self.main, self.limits.wait).await
    }

    /// Borrows a connection to tenant database `database`, opening its pool
    /// on first use.
    pub(crate) async fn lease_database(
        self: &Arc<Self>,
        database: &Identifier,
    ) -> Result<Lease, Error> {
        let pool = {
            let mut databases = self.databases.lock().expect("database pools lock");
            match databases.get_mut(database) {
                Some((pool, used)) => {
                    *used = Instant::now();
                    pool.clone()
                }
                None => {
                    let pool = build_pool(
                        &self.budget,
                        self.options.clone().dbname(database.as_str()),
                        self.limits.database_pool_size,
                        &self.limits,
                    );
                    databases.insert(database.clone(), (pool.clone(), Instant::now()));
                    pool
                }
            }
        };
        Lease::acquire(&pool, self.limits.wait).await
    }

    /// A permit for a connection opened outside the pools (the registry
    /// listener), so that it counts against the budget too.
    pub(crate) async fn permit_outside_pools(&self) -> Option<OwnedSemaphorePermit> {
        self.budget.permit().await.ok()
    }

    /// Closes connections unused for at least `idle`, in every pool, and drops
    /// the pools of tenant databases that no longer hold a connection.
    pub(crate) fn close_idle(&self, idle: Duration) {
        let stale = |_: &BudgetedClient, metrics: Metrics| metrics.last_used() < idle;
        self.main.retain(stale);
        let mut databases = self.databases.lock().expect("database pools lock");
        databases.retain(|_, (pool, used)| {
            pool.retain(stale);
            pool.status().size > 0 || used.elapsed() < idle
        });
    }

    /// The size of the pool that serves `placement`'s statements.
    pub(crate) fn pool_size(&self, placement: &Placement) -> usize {
        match placement {
            Placement::Database(_) => self.limits.database_pool_size,
            Placement::Pool | Placement::Schema(_) => self.limits.main_pool_size,
        }
    }

    /// Connections open to this server now, across every pool.
    pub(crate) fn open_connections(&self) -> usize {
        self.budget.open()
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

fn build_pool(
    budget: &Arc<Budget>,
    options: ConnectOptions,
    size: usize,
    limits: &ServerLimits,
) -> Pool {
    let manager = BudgetedManager {
        options: Arc::new(options),
        budget: budget.clone(),
        statement_cache: limits.statement_cache,
        allow_privileged_role: limits.allow_privileged_role,
        lifetime: limits.connection_lifetime,
    };
    Pool::builder(manager)
        .max_size(size.max(1))
        .wait_timeout(Some(limits.wait))
        // Opening may first wait for a permit of the budget.
        .create_timeout(Some(limits.wait + CONNECT_TIMEOUT))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .expect("a pool with a runtime always builds")
}
