//! What telemetry records, set in code.

use std::time::Duration;

/// What tenantry's spans, metrics and usage record; given to
/// [`Config::telemetry`](crate::Config::telemetry).
///
/// ```
/// use std::time::Duration;
/// use tenantry_postgres::telemetry::TelemetryConfig;
///
/// let telemetry = TelemetryConfig::default()
///     .query_text(true)
///     .named_tenants(50)
///     .usage_window(Duration::from_secs(300));
/// # let _ = telemetry;
/// ```
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    pub(crate) query_text: bool,
    pub(crate) named_tenants: usize,
    pub(crate) usage_window: Duration,
}

impl Default for TelemetryConfig {
    /// No query text, 20 named tenants, a 60 s usage window.
    fn default() -> Self {
        Self {
            query_text: false,
            named_tenants: 20,
            usage_window: Duration::from_secs(60),
        }
    }
}

impl TelemetryConfig {
    /// Whether statement spans carry the SQL text (`db.query.text`, with
    /// `$n` placeholders: parameter values are never recorded). Off by
    /// default: hand-written SQL may hold literals.
    pub fn query_text(mut self, enabled: bool) -> Self {
        self.query_text = enabled;
        self
    }

    /// How many of the busiest tenants are named in metric labels; every
    /// other tenant's label is `other`, so a label has at most `count + 1`
    /// values.
    pub fn named_tenants(mut self, count: usize) -> Self {
        self.named_tenants = count;
        self
    }

    /// The sliding window [`Tenantry::usage`](crate::Tenantry::usage) covers.
    pub fn usage_window(mut self, window: Duration) -> Self {
        self.usage_window = window.max(Duration::from_secs(1));
        self
    }
}
