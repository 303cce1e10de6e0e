//! Recording tenantry's metrics through the `metrics` facade: a no-op call
//! when no recorder is installed.

use std::time::Duration;

use metrics::{Label, SharedString, counter, gauge, histogram};

use super::TenantTelemetry;
use super::attributes::DB_SYSTEM;
use super::attributes::metric::{
    CONNECTION_COUNT, CONNECTION_WAIT, ERROR_TYPE, OPERATION, OPERATION_DURATION, PLACEMENT, POOL,
    REJECTIONS, STATE, SYSTEM, TENANT, TIER, TIMEOUTS,
};
use super::error_kind::Outcome;

/// The labels every metric of `tenant` carries, `name` its bounded label.
fn tenant_labels(tenant: &TenantTelemetry, name: SharedString) -> [Label; 4] {
    [
        Label::from_static_parts(SYSTEM, DB_SYSTEM),
        Label::from_static_parts(PLACEMENT, tenant.placement),
        Label::new(TIER, SharedString::from_shared(tenant.tier.clone())),
        Label::new(TENANT, name),
    ]
}

/// One statement of `tenant`: its duration, and the timeout or rejection
/// counters if it ended so.
pub(super) fn operation(
    tenant: &TenantTelemetry,
    name: SharedString,
    operation: &'static str,
    elapsed: Duration,
    error_type: Option<&'static str>,
    outcome: Outcome,
) {
    let mut labels = Vec::with_capacity(6);
    labels.extend(tenant_labels(tenant, name));
    labels.push(Label::from_static_parts(OPERATION, operation));
    if let Some(error_type) = error_type {
        labels.push(Label::from_static_parts(ERROR_TYPE, error_type));
    }
    match outcome {
        Outcome::TimedOut => counter!(TIMEOUTS, labels.clone()).increment(1),
        Outcome::Rejected => counter!(REJECTIONS, labels.clone()).increment(1),
        Outcome::Done | Outcome::Failed => {}
    }
    histogram!(OPERATION_DURATION, labels).record(elapsed);
}

/// A wait of `tenant` for a connection of its pool, which has `used` and
/// `idle` connections now it has one.
pub(super) fn pool_wait(
    tenant: &TenantTelemetry,
    name: SharedString,
    waited: Duration,
    (used, idle): (usize, usize),
) {
    let pool = || Label::new(POOL, SharedString::from_shared(tenant.pool.clone()));
    let mut labels = Vec::with_capacity(5);
    labels.extend(tenant_labels(tenant, name));
    labels.push(pool());
    histogram!(CONNECTION_WAIT, labels).record(waited);
    for (state, count) in [("used", used), ("idle", idle)] {
        let labels = [
            Label::from_static_parts(SYSTEM, DB_SYSTEM),
            pool(),
            Label::from_static_parts(STATE, state),
        ];
        gauge!(CONNECTION_COUNT, Vec::from(labels)).set(count as f64);
    }
}
