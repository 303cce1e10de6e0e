//! Where one tenant's statements go: its server, its placement, and the
//! `BEGIN` that sets its context.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tenantry_query::{Identifier, TenantId};

use crate::Error;
use crate::context::start::Begin;
use crate::limits::gate::Gate;
use crate::limits::gates::Gates;
use crate::limits::overrides::LimitOverrides;
use crate::limits::work::Work;
use crate::placement::Placement;
use crate::pool::Lease;
use crate::pool::Server;
use crate::telemetry::{Telemetry, TenantIdentity, TenantTelemetry};

/// A resolved tenant: built once per registry read, shared by its handles.
pub(crate) struct Route {
    pub(crate) tenant: TenantId,
    pub(crate) placement: Placement,
    pub(crate) server: Arc<Server>,
    /// `BEGIN; SET LOCAL …` for this tenant's requests, rendered once.
    pub(crate) begin: Begin,
    /// The same for its batch work, with the batch timeout.
    batch_begin: Begin,
    /// What its spans and metrics carry.
    pub(crate) telemetry: TenantTelemetry,
    /// The tenant's limits, checked before a connection is taken.
    pub(crate) gate: Arc<Gate>,
    /// Set when the registry entry may have changed since the route was read.
    revoked: AtomicBool,
}

impl Route {
    /// The route of `tenant` (known as `identity`) to `placement` on
    /// `server`, observed by `telemetry`, of tier `tier` with `overrides` of
    /// its own (limits from `gates`).
    pub(crate) fn new(
        tenant: TenantId,
        identity: TenantIdentity,
        placement: Placement,
        server: Arc<Server>,
        citus: bool,
        telemetry: &Arc<Telemetry>,
        (gates, tier, overrides): (&Gates, &str, &LimitOverrides),
    ) -> Self {
        let gate = gates.gate(tenant, (tier, overrides), server.pool_size(&placement));
        let limits = gate.limits();
        let begin = Begin::new(tenant, citus, placement.schema(), limits.statement_timeout);
        let batch_begin = Begin::new(tenant, citus, placement.schema(), limits.batch_timeout);
        let telemetry = TenantTelemetry::new(
            telemetry,
            tenant,
            identity,
            &placement,
            &server.name,
            server.options(),
        );
        Self {
            tenant,
            placement,
            server,
            begin,
            batch_begin,
            telemetry,
            gate,
            revoked: AtomicBool::new(false),
        }
    }

    /// Marks the route out of date: the tenant's registry entry changed, or
    /// may have changed unseen. Handles holding it look the tenant up again
    /// before their next statement.
    pub(crate) fn revoke(&self) {
        self.revoked.store(true, Ordering::Release);
    }

    /// Whether the route is out of date.
    pub(crate) fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::Acquire)
    }

    /// Whether `other` sends statements to the same place, so that statements
    /// built for this route may run on it.
    pub(crate) fn same_place(&self, other: &Route) -> bool {
        self.server.name == other.server.name && self.placement == other.placement
    }

    /// The schema qualifying the tenant's tables, for schema placements.
    pub(crate) fn schema(&self) -> Option<Identifier> {
        self.placement.schema().cloned()
    }

    /// How the transactions of `work` start.
    pub(crate) fn begin(&self, work: Work) -> &Begin {
        match work {
            Work::Request => &self.begin,
            Work::Batch => &self.batch_begin,
        }
    }

    /// Borrows a connection for `work` where the tenant's rows are, once
    /// its limits let the statement through. The wait for the connection is
    /// observed as the tenant's.
    pub(crate) async fn lease(&self, work: Work) -> Result<Lease, Error> {
        let admission = self.gate.admit(work).await?;
        let lease = || self.server.lease_for(&self.placement, work);
        let lease = self.telemetry.pool_wait(lease, Lease::pool_status).await?;
        Ok(lease.admitted(admission))
    }
}

/// A route's telemetry, owned: what observes a row stream that outlives the
/// call that opened it.
pub(crate) struct RouteTelemetry(pub(crate) Arc<Route>);

impl Deref for RouteTelemetry {
    type Target = TenantTelemetry;

    fn deref(&self) -> &TenantTelemetry {
        &self.0.telemetry
    }
}
