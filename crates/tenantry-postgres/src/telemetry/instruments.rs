//! Recording tenantry's metrics through the `metrics` facade. A tenant's
//! handles are registered once, with the recorder current then and under
//! its tenant label then, and reused while both stay: a statement records
//! into them without building a key or looking one up. A failure's
//! metrics, which carry its `error.type`, are registered when they happen.

use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use metrics::{Gauge, Histogram, Label, Recorder, SharedString, counter, gauge, histogram};

use super::TenantTelemetry;
use super::attributes::DB_SYSTEM;
use super::attributes::metric::{
    CONNECTION_COUNT, CONNECTION_WAIT, ERROR_TYPE, OPERATION, OPERATION_DURATION, OTHER_TENANTS,
    PLACEMENT, POOL, REJECTIONS, STATE, SYSTEM, TENANT, TIER, TIMEOUTS,
};
use super::call::Command;
use super::error_kind::Outcome;

/// The recorder the metrics facade hands out on this thread now (a
/// thread's own default, else the global one, else the no-op one), told
/// apart by its address.
fn current_recorder() -> usize {
    metrics::with_recorder(|recorder| (recorder as *const dyn Recorder).cast::<()>().addr())
}

/// One tenant's metric handles, registered with one recorder under one
/// tenant label.
#[derive(Debug)]
struct Handles {
    /// The recorder they are registered with.
    recorder: usize,
    /// The generation of the named tenants their label was chosen in.
    generation: u64,
    /// Whether the tenant is named in their label (else it is `other`).
    named: bool,
    /// `db.client.operation.duration` of a statement that ran, by command,
    /// registered at its first use.
    durations: [OnceLock<Histogram>; Command::COUNT],
    /// `db.client.connection.wait_time`.
    wait: Histogram,
    /// `db.client.connection.count` of the tenant's pool, used and idle.
    used: Gauge,
    idle: Gauge,
}

/// A tenant's metric handles, once registered.
#[derive(Debug, Default)]
pub(super) struct TenantInstruments {
    handles: RwLock<Option<Handles>>,
}

impl TenantTelemetry {
    /// Runs `record` with the tenant's handles, registered again first if
    /// the recorder or the tenant's label changed since they were.
    fn with_handles<R>(&self, record: impl FnOnce(&Self, &Handles) -> R) -> R {
        let recorder = current_recorder();
        let generation = self.telemetry.busiest.generation(&self.telemetry.usage);
        let current =
            |handles: &Handles| handles.recorder == recorder && handles.generation == generation;
        {
            let handles = self
                .instruments
                .handles
                .read()
                .expect("metric handles lock");
            if let Some(handles) = handles.as_ref().filter(|handles| current(handles)) {
                return record(self, handles);
            }
        }
        let mut handles = self
            .instruments
            .handles
            .write()
            .expect("metric handles lock");
        if !handles.as_ref().is_some_and(current) {
            let named = self.telemetry.busiest.names(self.id);
            *handles = Some(self.register(recorder, generation, named));
        }
        record(self, handles.as_ref().expect("handles were registered"))
    }

    /// Registers the handles with the current recorder.
    fn register(&self, recorder: usize, generation: u64, named: bool) -> Handles {
        let mut wait = self.labels(named).to_vec();
        wait.push(self.pool_label());
        let count = |state: &'static str| {
            let labels = [
                Label::from_static_parts(SYSTEM, DB_SYSTEM),
                self.pool_label(),
                Label::from_static_parts(STATE, state),
            ];
            gauge!(CONNECTION_COUNT, Vec::from(labels))
        };
        Handles {
            recorder,
            generation,
            named,
            durations: Default::default(),
            wait: histogram!(CONNECTION_WAIT, wait),
            used: count("used"),
            idle: count("idle"),
        }
    }

    /// The labels every metric of the tenant carries, named in them if
    /// `named`.
    fn labels(&self, named: bool) -> [Label; 4] {
        let name = if named {
            SharedString::from_shared(self.name.clone())
        } else {
            SharedString::const_str(OTHER_TENANTS)
        };
        [
            Label::from_static_parts(SYSTEM, DB_SYSTEM),
            Label::from_static_parts(PLACEMENT, self.placement),
            Label::new(TIER, SharedString::from_shared(self.tier.clone())),
            Label::new(TENANT, name),
        ]
    }

    fn pool_label(&self) -> Label {
        Label::new(POOL, SharedString::from_shared(self.pool.clone()))
    }

    /// The labels of a statement's metrics: the tenant's, its command's,
    /// and its error's type if it failed.
    fn operation_labels(
        &self,
        named: bool,
        command: Command,
        error_type: Option<&'static str>,
    ) -> Vec<Label> {
        let mut labels = Vec::with_capacity(6);
        labels.extend(self.labels(named));
        labels.push(Label::from_static_parts(OPERATION, command.name()));
        if let Some(error_type) = error_type {
            labels.push(Label::from_static_parts(ERROR_TYPE, error_type));
        }
        labels
    }
}

/// One statement of `tenant` running `command`: its duration, and the
/// timeout or rejection counters if it ended so.
pub(super) fn operation(
    tenant: &TenantTelemetry,
    command: Command,
    elapsed: Duration,
    error_type: Option<&'static str>,
    outcome: Outcome,
) {
    tenant.with_handles(|tenant, handles| {
        let Some(error_type) = error_type else {
            let duration = handles.durations[command as usize].get_or_init(|| {
                histogram!(
                    OPERATION_DURATION,
                    tenant.operation_labels(handles.named, command, None)
                )
            });
            duration.record(elapsed);
            return;
        };
        let labels = tenant.operation_labels(handles.named, command, Some(error_type));
        match outcome {
            Outcome::TimedOut => counter!(TIMEOUTS, labels.clone()).increment(1),
            Outcome::Rejected => counter!(REJECTIONS, labels.clone()).increment(1),
            Outcome::Done | Outcome::Failed => {}
        }
        histogram!(OPERATION_DURATION, labels).record(elapsed);
    });
}

/// A wait of `tenant` for a connection of its pool, which has `used` and
/// `idle` connections now it has one.
pub(super) fn pool_wait(tenant: &TenantTelemetry, waited: Duration, (used, idle): (usize, usize)) {
    tenant.with_handles(|_, handles| {
        handles.wait.record(waited);
        handles.used.set(used as f64);
        handles.idle.set(idle as f64);
    });
}
