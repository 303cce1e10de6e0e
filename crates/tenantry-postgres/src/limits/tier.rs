//! What one tier (or one tenant) may do.

use std::num::NonZeroU32;
use std::time::Duration;

/// The limits of one tier, or of one tenant that overrides its tier's.
/// Every limit is off until set: the default is unlimited.
///
/// ```
/// use std::num::NonZeroU32;
/// use std::time::Duration;
/// # use tenantry_postgres::Limits;
///
/// let free = Limits::default()
///     .statement_timeout(Duration::from_secs(5))
///     .concurrent_statements(2)
///     .rate(NonZeroU32::new(20).unwrap(), NonZeroU32::new(40).unwrap())
///     .connection_share(0.25);
/// assert_eq!(free.get_statement_timeout(), Some(Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub(crate) statement_timeout: Option<Duration>,
    pub(crate) concurrent_statements: Option<usize>,
    pub(crate) rate: Option<Rate>,
    pub(crate) connection_share: Option<f64>,
    pub(crate) queue: Duration,
    pub(crate) batch: bool,
    pub(crate) batch_timeout: Option<Duration>,
}

/// Statements per second, with a burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rate {
    pub(crate) per_second: NonZeroU32,
    pub(crate) burst: NonZeroU32,
}

impl Default for Limits {
    /// No limit at all.
    fn default() -> Self {
        Self {
            statement_timeout: None,
            concurrent_statements: None,
            rate: None,
            connection_share: None,
            queue: Duration::ZERO,
            batch: true,
            batch_timeout: None,
        }
    }
}

impl Limits {
    /// The longest any one statement of the tenant runs before the server
    /// cancels it with [`Error::StatementTimeout`](crate::Error::StatementTimeout).
    /// Set inside the statement's own transaction, with its tenant context:
    /// no extra round trip, and nothing left on the connection.
    pub fn statement_timeout(mut self, limit: Duration) -> Self {
        self.statement_timeout = Some(limit.max(Duration::from_millis(1)));
        self
    }

    /// The most statements (or open transactions, or streams) the tenant
    /// runs at once in this process; one more waits up to the
    /// [queue](Limits::queue), then fails with
    /// [`Error::TooManyStatements`](crate::Error::TooManyStatements).
    pub fn concurrent_statements(mut self, limit: usize) -> Self {
        self.concurrent_statements = Some(limit.max(1));
        self
    }

    /// The statements per second the tenant may start in this process, and
    /// the burst it may send at once above that rate; one more waits up to
    /// the [queue](Limits::queue) if the bucket refills by then, else fails
    /// with [`Error::RateLimited`](crate::Error::RateLimited) saying when to
    /// retry.
    pub fn rate(mut self, per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        self.rate = Some(Rate { per_second, burst });
        self
    }

    /// The share (above 0, at most 1) of its server's pool the tenant may
    /// hold at once: so many connections (at least one), counted like
    /// [concurrent statements](Limits::concurrent_statements), so that a
    /// greedy tenant leaves the rest of the pool to the others, which the
    /// pool serves in the order they asked.
    pub fn connection_share(mut self, share: f64) -> Self {
        self.connection_share = Some(if share > 0.0 { share.min(1.0) } else { 0.0 });
        self
    }

    /// How long a statement over the concurrency cap or the rate waits for
    /// its turn before it is refused (default: not at all).
    pub fn queue(mut self, wait: Duration) -> Self {
        self.queue = wait;
        self
    }

    /// Whether the tenant may run batch work ([`Tenant::batch`]; default:
    /// it may). A tier without it gets [`Error::BatchNotAllowed`].
    ///
    /// [`Tenant::batch`]: crate::Tenant::batch
    /// [`Error::BatchNotAllowed`]: crate::Error::BatchNotAllowed
    pub fn allow_batch(mut self, allowed: bool) -> Self {
        self.batch = allowed;
        self
    }

    /// The longest any one statement of the tenant's batch work runs
    /// ([`Tenant::batch`](crate::Tenant::batch)) before the server cancels it
    /// with [`Error::StatementTimeout`](crate::Error::StatementTimeout): set
    /// like the [statement timeout](Limits::statement_timeout), which batch
    /// work does not have (default: none).
    pub fn batch_timeout(mut self, limit: Duration) -> Self {
        self.batch_timeout = Some(limit.max(Duration::from_millis(1)));
        self
    }

    /// The statement timeout set, if any.
    pub fn get_statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
    }

    /// The most statements the tenant runs at once on a server whose pool
    /// has `pool_size` connections: the lower of its concurrency cap and its
    /// connection share (`None`: no cap).
    pub(crate) fn concurrency_on(&self, pool_size: usize) -> Option<usize> {
        let share = self
            .connection_share
            .map(|share| ((share * pool_size as f64).ceil() as usize).max(1));
        match (self.concurrent_statements, share) {
            (Some(cap), Some(share)) => Some(cap.min(share)),
            (cap, share) => cap.or(share),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_of_a_pool_is_at_least_one_connection() {
        let limits = Limits::default().connection_share(0.25);
        assert_eq!(limits.concurrency_on(16), Some(4));
        assert_eq!(limits.concurrency_on(2), Some(1));
        assert_eq!(
            Limits::default().connection_share(0.0).concurrency_on(8),
            Some(1)
        );
        let both = limits.concurrent_statements(2);
        assert_eq!(both.concurrency_on(16), Some(2));
        assert_eq!(both.concurrency_on(4), Some(1));
        assert_eq!(Limits::default().concurrency_on(16), None);
    }
}
