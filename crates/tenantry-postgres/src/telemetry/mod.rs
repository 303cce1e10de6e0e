//! What tenantry reports about its work, tenant by tenant: a `tracing` span
//! per statement (global ones too), transaction, registry lookup and pool
//! wait (a lease that is not handed a connection at once), with
//! OpenTelemetry's database attributes; metrics through the `metrics`
//! facade; and the per-tenant usage over a sliding window that
//! [`Tenantry::usage`](crate::Tenantry::usage) returns.
//!
//! Spans cost a level check when no subscriber listens. Metrics go through
//! handles each tenant registers once with the current recorder (the
//! facade's no-op one when none is installed) and reuses while that
//! recorder and its tenant label stay. Parameter values are never
//! recorded; the query text only when [`TelemetryConfig::query_text`] says
//! so.

mod attributes;
mod call;
mod config;
mod error_kind;
mod global;
mod instruments;
mod labels;
mod stream;
mod tenant;
mod usage;

pub use attributes::{DB_SYSTEM, metric};
pub use config::TelemetryConfig;
pub use usage::TenantUsage;

pub(crate) use call::{Call, What, failed, registry_lookup};
pub(crate) use global::GlobalTelemetry;
pub(crate) use tenant::{TenantIdentity, TenantTelemetry};

use labels::BusiestTenants;
use usage::UsageWindows;

/// The telemetry state one `Tenantry` shares among its handles.
#[derive(Debug)]
pub(crate) struct Telemetry {
    config: TelemetryConfig,
    usage: UsageWindows,
    busiest: BusiestTenants,
}

impl Telemetry {
    pub(crate) fn new(config: TelemetryConfig) -> Self {
        Self {
            usage: UsageWindows::new(config.usage_window),
            busiest: BusiestTenants::new(config.named_tenants),
            config,
        }
    }

    /// Every tenant's usage over the window, the busiest first.
    pub(crate) fn usage(&self) -> Vec<TenantUsage> {
        self.usage.snapshot()
    }
}
