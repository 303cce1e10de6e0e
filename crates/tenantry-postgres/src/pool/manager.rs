//! A pooled connection that holds one permit of its server's budget while
//! it is open, and the pool manager that opens, checks and recycles them.

use std::num::NonZeroUsize;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::{self, Metrics, RecycleResult};
use deadpool_postgres::ClientWrapper;
use tokio::sync::OwnedSemaphorePermit;

use super::budget::Budget;
use super::role::{RoleCheck, check_role};
use super::session_reset::reset_session;
use super::statement_cache::StatementCache;
use crate::Error;
use crate::options::ConnectOptions;
use crate::transport::Endpoint;
use crate::transport::connect;
use crate::transport::probe::Probe;
use crate::transport::traffic::Traffic;
use crate::transport::wire::Splicer;

/// A pool of budgeted connections.
pub(crate) type Pool = managed::Pool<BudgetedManager>;

/// A connection that holds one permit of its server's budget while it is open.
pub(crate) struct BudgetedClient {
    client: ClientWrapper,
    /// The connection's prepared statements (`None` behind a
    /// transaction-mode pooler).
    statements: Option<StatementCache>,
    splicer: Splicer,
    endpoint: Endpoint,
    /// The settings it was opened with (a cancel request uses them).
    options: Arc<ConnectOptions>,
    traffic: Traffic,
    probe: Probe,
    permit: Option<OwnedSemaphorePermit>,
    session_needs_reset: bool,
    mid_statement: bool,
    /// Whether the connection's role skips row-level security (accepted only
    /// where the configuration allows it).
    privileged: bool,
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

    /// Whether the connection's role skips row-level security.
    pub(crate) fn is_privileged(&self) -> bool {
        self.privileged
    }

    /// The connection's prepared statements, if it caches them.
    pub(crate) fn statements(&self) -> Option<&StatementCache> {
        self.statements.as_ref()
    }

    /// What the connection's stream adds to a statement's message group.
    pub(crate) fn splicer(&self) -> &Splicer {
        &self.splicer
    }

    /// What the connection's stream wrote, and how it ended.
    pub(crate) fn traffic(&self) -> &Traffic {
        &self.traffic
    }
}

/// How long a closed connection's permit stays taken: the server ends its
/// backend a moment after the socket closes, and until then it still counts.
const BACKEND_EXIT_GRACE: Duration = Duration::from_millis(100);

impl Drop for BudgetedClient {
    fn drop(&mut self) {
        let permit = self.permit.take();
        let cancel = self.mid_statement.then(|| self.client.cancel_token());
        let endpoint = self.endpoint.clone();
        let options = self.options.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Some(cancel) = cancel {
                let cancelled = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    connect::cancel(&cancel, &endpoint, &options),
                )
                .await;
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
    /// No connection could be opened.
    Open(Error),
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

impl From<Error> for ConnectError {
    fn from(error: Error) -> Self {
        ConnectError::Open(error)
    }
}

/// Opens connections to one database of a server, within the server's budget.
pub(crate) struct BudgetedManager {
    pub(crate) options: Arc<ConnectOptions>,
    pub(crate) budget: Arc<Budget>,
    /// The statements cached per connection (checked by a session reset).
    pub(crate) statement_cache: Option<NonZeroUsize>,
    /// Whether a role that skips row-level security is accepted.
    pub(crate) allow_privileged_role: bool,
    /// How long a connection is lent before it is closed and replaced.
    pub(crate) lifetime: Duration,
}

impl managed::Manager for BudgetedManager {
    type Type = BudgetedClient;
    type Error = ConnectError;

    /// Opens a connection: boxed, because opening (TLS included) is a large
    /// future that every borrow would otherwise carry, and copy, though
    /// few borrows open one.
    async fn create(&self) -> Result<BudgetedClient, ConnectError> {
        Box::pin(self.open()).await
    }

    async fn recycle(
        &self,
        client: &mut BudgetedClient,
        metrics: &Metrics,
    ) -> RecycleResult<ConnectError> {
        // The driver may not have read yet that the server closed an idle
        // connection: its socket says so first.
        if client.client.is_closed() || client.traffic.ended().is_some() || !client.probe.is_quiet()
        {
            return Err(managed::RecycleError::message("the connection is closed"));
        }
        // A session keeps caches of every table it touched (one per schema
        // tenant): an old connection is replaced, so its memory is bounded.
        if metrics.age() >= self.lifetime {
            return Err(managed::RecycleError::message(
                "the connection reached its lifetime",
            ));
        }
        if !client.splicer.is_idle() {
            return Err(managed::RecycleError::message(
                "the connection still holds a statement's context",
            ));
        }
        if client.session_needs_reset {
            // Boxed like opening: only connections that ran hand-written
            // SQL are reset.
            Box::pin(reset(client)).await?;
        }
        Ok(())
    }
}

/// Resets the session of `client`, which ran hand-written SQL.
async fn reset(client: &mut BudgetedClient) -> RecycleResult<ConnectError> {
    let prepared = client
        .statements
        .as_ref()
        .map(|_| client.splicer.named_statements());
    let intact = reset_session(&client.client, prepared)
        .await
        .map_err(|error| managed::RecycleError::Backend(ConnectError::Postgres(error)))?;
    if !intact {
        return Err(managed::RecycleError::message(
            "hand-written SQL changed the connection's prepared statements",
        ));
    }
    client.session_needs_reset = false;
    Ok(())
}

impl BudgetedManager {
    /// Opens a connection within the budget, and checks its role.
    async fn open(&self) -> Result<BudgetedClient, ConnectError> {
        let permit = self
            .budget
            .permit()
            .await
            .map_err(|_| ConnectError::BudgetSpent)?;
        let connection = connect::open(&self.options, self.statement_cache.is_some()).await?;
        let client = ClientWrapper::new(connection.client, connection.task);
        let privileged = check_role(&client, self.allow_privileged_role).await?;
        Ok(BudgetedClient {
            client,
            statements: self.statement_cache.map(StatementCache::new),
            splicer: connection.splicer,
            endpoint: connection.endpoint,
            options: self.options.clone(),
            traffic: connection.traffic,
            probe: connection.probe,
            permit: Some(permit),
            session_needs_reset: false,
            privileged,
            mid_statement: false,
        })
    }
}

/// How long opening one connection may take, beyond waiting for the budget.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
