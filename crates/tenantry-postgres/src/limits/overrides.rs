//! One tenant's own limits in the registry: each one set replaces its
//! tier's, each one unset leaves it.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::tier::{Limits, Rate};

/// The limits a tenant's registry row overrides, one by one, above those of
/// its tier (or of [`Config::tenant_limits`](crate::Config::tenant_limits)).
/// Changed at run time with `Operator::set_limits` (or `tenantry tenants
/// set-limits`): the registry announces the change, and every process
/// applies it from the tenant's next statement. Stored as a JSON object
/// (durations in milliseconds) in the registry's `limits` column.
///
/// ```
/// use std::num::NonZeroU32;
/// use std::time::Duration;
/// # use tenantry_postgres::{LimitOverrides, Limits};
///
/// let free = Limits::default()
///     .statement_timeout(Duration::from_secs(5))
///     .concurrent_statements(2);
/// let own = LimitOverrides::default().statement_timeout(Duration::from_secs(30));
/// let limits = own.apply(free);
/// assert_eq!(limits.get_statement_timeout(), Some(Duration::from_secs(30)));
/// assert_eq!(limits, free.statement_timeout(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    statement_timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    concurrent_statements: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rate_per_second: Option<NonZeroU32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rate_burst: Option<NonZeroU32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connection_share: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    queue_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    batch: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    batch_timeout_ms: Option<u64>,
}

/// A duration in whole milliseconds, at least one.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl LimitOverrides {
    /// Overrides the [statement timeout](Limits::statement_timeout).
    pub fn statement_timeout(mut self, limit: Duration) -> Self {
        self.statement_timeout_ms = Some(millis(limit));
        self
    }

    /// Overrides the [concurrent statements](Limits::concurrent_statements).
    pub fn concurrent_statements(mut self, limit: usize) -> Self {
        self.concurrent_statements = Some(limit.max(1));
        self
    }

    /// Overrides the [rate](Limits::rate) (statements per second) and its burst.
    pub fn rate(mut self, per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        self.rate_per_second = Some(per_second);
        self.rate_burst = Some(burst);
        self
    }

    /// Overrides the [connection share](Limits::connection_share).
    pub fn connection_share(mut self, share: f64) -> Self {
        self.connection_share = Limits::default().connection_share(share).connection_share;
        self
    }

    /// Overrides the [queue](Limits::queue).
    pub fn queue(mut self, wait: Duration) -> Self {
        self.queue_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Overrides whether [batch work is allowed](Limits::allow_batch).
    pub fn allow_batch(mut self, allowed: bool) -> Self {
        self.batch = Some(allowed);
        self
    }

    /// Overrides the [batch timeout](Limits::batch_timeout).
    pub fn batch_timeout(mut self, limit: Duration) -> Self {
        self.batch_timeout_ms = Some(millis(limit));
        self
    }

    /// Whether nothing is overridden.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `limits` with every limit set here in place of its own.
    pub fn apply(&self, limits: Limits) -> Limits {
        let ms = Duration::from_millis;
        let rate = self
            .rate_per_second
            .zip(self.rate_burst)
            .map(|(per_second, burst)| Rate { per_second, burst });
        Limits {
            statement_timeout: self
                .statement_timeout_ms
                .map(ms)
                .or(limits.statement_timeout),
            concurrent_statements: self.concurrent_statements.or(limits.concurrent_statements),
            rate: rate.or(limits.rate),
            connection_share: self.connection_share.or(limits.connection_share),
            queue: self.queue_ms.map_or(limits.queue, ms),
            batch: self.batch.unwrap_or(limits.batch),
            batch_timeout: self.batch_timeout_ms.map(ms).or(limits.batch_timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_stored_as_the_limits_it_sets_in_milliseconds() {
        let nine = NonZeroU32::new(9).unwrap();
        let overrides = LimitOverrides::default()
            .statement_timeout(Duration::from_secs(30))
            .rate(nine, nine)
            .allow_batch(false);
        let stored = serde_json::to_value(overrides).unwrap();
        assert_eq!(
            stored,
            serde_json::json!({
                "statement_timeout_ms": 30000,
                "rate_per_second": 9,
                "rate_burst": 9,
                "batch": false,
            })
        );
        assert_eq!(
            serde_json::from_value::<LimitOverrides>(stored).unwrap(),
            overrides
        );
        assert_eq!(
            serde_json::to_value(LimitOverrides::default()).unwrap(),
            serde_json::json!({})
        );
        assert!(
            serde_json::from_value::<LimitOverrides>(serde_json::json!({"timeout": 1})).is_err()
        );
    }

    #[test]
    fn each_override_replaces_one_limit_and_leaves_the_others() {
        let tier = Limits::default()
            .statement_timeout(Duration::from_secs(5))
            .concurrent_statements(2)
            .queue(Duration::from_millis(100));
        assert_eq!(LimitOverrides::default().apply(tier), tier);
        let own = LimitOverrides::default()
            .concurrent_statements(8)
            .connection_share(0.5)
            .batch_timeout(Duration::from_secs(60));
        assert_eq!(
            own.apply(tier),
            tier.concurrent_statements(8)
                .connection_share(0.5)
                .batch_timeout(Duration::from_secs(60))
        );
    }
}
