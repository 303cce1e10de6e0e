//! The limits a server's pools open with: sizes, budgets, waits.

use std::num::NonZeroUsize;
use std::time::Duration;

/// Limits on a server's connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerLimits {
    /// Connections of the server's own database pool.
    pub(crate) main_pool_size: usize,
    /// Connections of each tenant database's pool.
    pub(crate) database_pool_size: usize,
    /// Connections to the server in all, across every pool of requests.
    pub(crate) budget: usize,
    /// Connections to the server for batch work, beside the budget.
    pub(crate) batch_connections: usize,
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
