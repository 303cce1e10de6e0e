//! The pools of one kind of work on a server (requests, or batch work): one
//! for the server's own database, one per tenant database opened on first
//! use, and the budget of connections they share.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool::managed::Metrics;
use tenantry_query::Identifier;
use tokio::sync::OwnedSemaphorePermit;

use super::budget::Budget;
use super::manager::{BudgetedClient, BudgetedManager, CONNECT_TIMEOUT, Pool};
use super::server_limits::ServerLimits;
use crate::options::ConnectOptions;
use crate::placement::Placement;

/// How many connections one kind of work may open on a server.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolSizes {
    /// Connections of the server's own database pool.
    pub(crate) main: usize,
    /// Connections of each tenant database's pool.
    pub(crate) database: usize,
    /// Connections in all, across every pool of this kind of work.
    pub(crate) budget: usize,
}

/// The pools of one kind of work on a server, within their own budget.
pub(crate) struct Pools {
    options: ConnectOptions,
    sizes: PoolSizes,
    limits: ServerLimits,
    budget: Arc<Budget>,
    main: Pool,
    databases: Mutex<HashMap<Identifier, (Pool, Instant)>>,
}

impl Pools {
    /// Pools to the server `options` reach, of `sizes`. When their budget
    /// is spent, a new connection first closes their idle connections.
    pub(crate) fn new(
        options: ConnectOptions,
        sizes: PoolSizes,
        limits: ServerLimits,
    ) -> Arc<Self> {
        let budget = Arc::new(Budget::new(sizes.budget, limits.wait));
        let pools = Arc::new(Self {
            main: build_pool(&budget, options.clone(), sizes.main, &limits),
            options,
            sizes,
            limits,
            budget: budget.clone(),
            databases: Mutex::new(HashMap::new()),
        });
        let weak = Arc::downgrade(&pools);
        budget.reclaim_with(move || {
            if let Some(pools) = weak.upgrade() {
                pools.close_idle(Duration::ZERO);
            }
        });
        pools
    }

    /// The pool of `placement`: the server's own database's, or a tenant
    /// database's.
    pub(crate) fn pool_for(&self, placement: &Placement) -> Pool {
        match placement {
            Placement::Database(database) => self.database_pool(database),
            Placement::Pool | Placement::Schema(_) => self.main.clone(),
        }
    }

    /// The pool of tenant database `database`, opened on first use.
    fn database_pool(&self, database: &Identifier) -> Pool {
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
                    self.sizes.database,
                    &self.limits,
                );
                databases.insert(database.clone(), (pool.clone(), Instant::now()));
                pool
            }
        }
    }

    /// A permit for a connection opened outside the pools, so that it counts
    /// against the budget too.
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

    /// Connections open now, across every pool.
    pub(crate) fn open(&self) -> usize {
        self.budget.open()
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
