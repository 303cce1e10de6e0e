//! What every handle of one `Tenantry` shares: the servers, the router and the settings.

use std::sync::Arc;

use crate::Config;
use crate::limits::gates::Gates;
use crate::pool::Servers;
use crate::routing::router::Router;
use crate::telemetry::{GlobalTelemetry, Telemetry};

/// The servers and settings behind every handle.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) servers: Arc<Servers>,
    /// Present when tenants are routed through the registry.
    pub(crate) router: Option<Arc<Router>>,
    /// Whether the main server's role skips row-level security (an
    /// operator's connection): only then may a handle bypass the registry.
    pub(crate) privileged: bool,
    /// Spans, metrics and usage.
    pub(crate) telemetry: Arc<Telemetry>,
    /// The spans of global statements.
    pub(crate) global_telemetry: GlobalTelemetry,
    /// Every tenant's limits in force.
    pub(crate) gates: Gates,
}
