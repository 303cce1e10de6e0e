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
use std::ops::Deref;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use deadpool::managed::{self, Metrics, RecycleResult};
use deadpool_postgres::ClientWrapper;
use tenantry_query::Identifier;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Error;
use crate::connect::{self, Address, OpenError};
use crate::lease::Lease;
use crate::role::{RoleCheck, check_role};
use crate::session_reset::reset_session;
use crate::statement_cache::StatementCache;
use crate::wire::Splicer;

/// A pool of budgeted connections.
pub(crate) type Pool = managed::Pool<BudgetedManager>;

/// A connection that holds one permit of its server's budget while it is open.
pub(crate) struct BudgetedClient {
    client: ClientWrapper,
    /// The connection's prepared statements (`None` behind a
    /// transaction-mode pooler).
    statements: Option<StatementCache>,
    splicer: Splicer,
    address: Address,
    permit: Option<OwnedSemaphorePermit>,
    session_needs_reset: bool,
    mid_statement: bool,
}

impl BudgetedClient {
    /// Closes a connection that may still be running a statement (its caller
    /// dropped the future). The server would run the statement to its end,
    /// and commit a write pipelined with its `COMMIT`, with the permit
    /// already free; so the statement is cancelled first, and the permit is
    /// released once that is done.
    pub(crate) fn close_mid_statement(mut self) {
        self.mid_statement = true;
    }

    /// Has the pool reset the session (see [`reset_session`]) before the
    /// connection is lent again.
    pub(crate) fn reset_session_before_reuse(&mut self) {
        self.session_needs_reset = true;
    }

    /// The connection's prepared statements, if it caches them.
    pub(crate) fn statements(&self) -> Option<&StatementCache> {
        self.statements.as_ref()
    }

    /// What the connection's stream adds to a statement's message group.
    pub(crate) fn splicer(&self) -> &Splicer {
        &self.splicer
    }
}

/// How long a closed connection's permit stays taken: the server ends its
/// backend a moment after the socket closes, and until then it still counts.
const BACKEND_EXIT_GRACE: Duration = Duration::from_millis(100);

impl Drop for BudgetedClient {
    fn drop(&mut self) {
        let permit = self.permit.take();
        let cancel = self.mid_statement.then(|| self.client.cancel_token());
        let address = self.address.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Some(cancel) = cancel {
                let cancelled =
                    tokio::time::timeout(CONNECT_TIMEOUT, connect::cancel(&cancel, &address)).await;
                if !matches!(cancelled, Ok(Ok(()))) {
                    tracing::debug!("cancelling the statement of a dropped call failed");
                }
            }
            tokio::time::sleep(BACKEND_EXIT_GRACE).await;
            drop(permit);
        });
    }
}

impl Deref for BudgetedClient {
    type Target = ClientWrapper;

    fn deref(&self) -> &ClientWrapper {
        &self.client
    }
}

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The server's budget stayed spent for the whole wait.
    BudgetSpent,
    /// No host could be reached.
    Unreachable(std::io::Error),
    /// PostgreSQL refused or failed.
    Postgres(tokio_postgres::Error),
    /// The role (named) skips row-level security.
    PrivilegedRole(String),
}

impl From<RoleCheck> for ConnectError {
    fn from(check: RoleCheck) -> Self {
        match check {
            RoleCheck::Privileged(role) => ConnectError::PrivilegedRole(role),
            RoleCheck::Postgres(error) => ConnectError::Postgres(error),
        }
    }
}

impl From<tokio_postgres::Error> for ConnectError {
    fn from(error: tokio_postgres::Error) -> Self {
        ConnectError::Postgres(error)
    }
}

impl From<OpenError> for ConnectError {
    fn from(error: OpenError) -> Self {
        match error {
            OpenError::Socket(error) => ConnectError::Unreachable(error),
            OpenError::Postgres(error) => ConnectError::Postgres(error),
        }
    }
}

/// Opens connections to one database of a server, within the server's budget.
pub(crate) struct BudgetedManager {
    postgres: tokio_postgres::Config,
    server: Weak<Server>,
    /// The statements cached per connection (checked by a session reset).
    statement_cache: Option<NonZeroUsize>,
    /// Whether a role that skips row-level security is accepted.
    allow_privileged_role: bool,
}

impl managed::Manager for BudgetedManager {
    type Type = BudgetedClient;
    type Error = ConnectError;

    async fn create(&self) -> Result<BudgetedClient, ConnectError> {
        let server = self.server.upgrade().ok_or(ConnectError::BudgetSpent)?;
        let permit = server.permit().await?;
        let connection = connect::open(&self.postgres, self.statement_cache.is_some()).await?;
        let client = ClientWrapper::new(connection.client, connection.task);
        check_role(&client, self.allow_privileged_role).await?;
        Ok(BudgetedClient {
            client,
            statements: self.statement_cache.map(StatementCache::new),
            splicer: connection.splicer,
            address: connection.address,
            permit: Some(permit),
            session_needs_reset: false,
            mid_statement: false,
        })
    }

    async fn recycle(
        &self,
        client: &mut BudgetedClient,
        _: &Metrics,
    ) -> RecycleResult<ConnectError> {
        if client.client.is_closed() {
            return Err(managed::RecycleError::message("the connection is closed"));
        }
        if !client.splicer.is_idle() {
            return Err(managed::RecycleError::message(
                "the connection still holds a statement's context",
            ));
        }
        if client.session_needs_reset {
            let cached = client.statements.as_ref().map(StatementCache::len);
            let intact = reset_session(&client.client, cached)
                .await
                .map_err(|error| managed::RecycleError::Backend(ConnectError::Postgres(error)))?;
            if !intact {
                return Err(managed::RecycleError::message(
                    "hand-written SQL changed the connection's prepared statements",
                ));
            }
            client.session_needs_reset = false;
        }
        Ok(())
    }
}

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
}

/// One named PostgreSQL server and its pools.
pub(crate) struct Server {
    pub(crate) name: String,
    postgres: tokio_postgres::Config,
    limits: ServerLimits,
    budget: Arc<Semaphore>,
    main: Pool,
    databases: Mutex<HashMap<Identifier, (Pool, Instant)>>,
}

impl Server {
    pub(crate) fn new(
        name: String,
        postgres: tokio_postgres::Config,
        limits: ServerLimits,
    ) -> Arc<Self> {
        let budget = Arc::new(Semaphore::new(limits.budget));
        Arc::new_cyclic(|server: &Weak<Server>| Server {
            main: build_pool(server, postgres.clone(), limits.main_pool_size, &limits),
            name,
            postgres,
            limits,
            budget,
            databases: Mutex::new(HashMap::new()),
        })
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
                    let mut postgres = self.postgres.clone();
                    postgres.dbname(database.as_str());
                    let pool = build_pool(
                        &Arc::downgrade(self),
                        postgres,
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
        self.permit().await.ok()
    }

    /// A permit for one more open connection: at once if the budget allows,
    /// else after closing idle connections, else when one is released.
    async fn permit(&self) -> Result<OwnedSemaphorePermit, ConnectError> {
        if let Ok(permit) = self.budget.clone().try_acquire_owned() {
            return Ok(permit);
        }
        self.close_idle(Duration::ZERO);
        tokio::time::timeout(self.limits.wait, self.budget.clone().acquire_owned())
            .await
            .map_err(|_| ConnectError::BudgetSpent)?
            .map_err(|_| ConnectError::BudgetSpent)
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

    /// Connections open to this server now, across every pool.
    pub(crate) fn open_connections(&self) -> usize {
        self.limits.budget - self.budget.available_permits()
    }

    /// The configured idle timeout.
    pub(crate) fn idle_timeout(&self) -> Duration {
        self.limits.idle_timeout
    }
}

fn build_pool(
    server: &Weak<Server>,
    postgres: tokio_postgres::Config,
    size: usize,
    limits: &ServerLimits,
) -> Pool {
    let manager = BudgetedManager {
        postgres,
        server: server.clone(),
        statement_cache: limits.statement_cache,
        allow_privileged_role: limits.allow_privileged_role,
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

/// How long opening one connection may take, beyond waiting for the budget.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
