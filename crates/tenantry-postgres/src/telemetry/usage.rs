//! Each tenant's work over a sliding window: what `citus_stat_tenants`
//! gives, on every placement.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tenantry_query::TenantId;

use super::TenantTelemetry;
use super::error_kind::Outcome;

/// The slots a window is cut into: it slides one slot at a time.
const SLOTS: u32 = 6;

/// One tenant's work over the usage window
/// ([`TelemetryConfig::usage_window`](crate::telemetry::TelemetryConfig::usage_window)),
/// as [`Tenantry::usage`](crate::Tenantry::usage) returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantUsage {
    /// The tenant.
    pub tenant: TenantId,
    /// Its name (the registry's slug, or its id in a pool-only deployment).
    pub name: String,
    /// Its tier.
    pub tier: String,
    /// `pool`, `schema` or `database`.
    pub placement: &'static str,
    /// Statements run, failed ones included.
    pub statements: u64,
    /// Rows returned or affected.
    pub rows: u64,
    /// Statements that failed, timed out or were rejected.
    pub errors: u64,
    /// Statements that failed for want of time.
    pub timeouts: u64,
    /// Statements refused before they ran, for want of capacity.
    pub rejections: u64,
    /// The time its statements took, added up.
    pub time: Duration,
}

/// Counts of one slot.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    statements: u64,
    rows: u64,
    errors: u64,
    timeouts: u64,
    rejections: u64,
    time: Duration,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.statements += other.statements;
        self.rows += other.rows;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.rejections += other.rejections;
        self.time += other.time;
    }
}

/// One tenant's slots, the newest last.
#[derive(Debug)]
struct TenantWindow {
    name: Arc<str>,
    tier: Arc<str>,
    placement: &'static str,
    slots: VecDeque<(u64, Counts)>,
}

/// Every tenant's window.
#[derive(Debug)]
pub(super) struct UsageWindows {
    slot: Duration,
    started: Instant,
    tenants: RwLock<HashMap<TenantId, Arc<Mutex<TenantWindow>>>>,
}

impl UsageWindows {
    pub(super) fn new(window: Duration) -> Self {
        Self {
            slot: window / SLOTS,
            started: Instant::now(),
            tenants: RwLock::new(HashMap::new()),
        }
    }

    /// The slot `now` falls in.
    fn slot_now(&self) -> u64 {
        (self.started.elapsed().as_nanos() / self.slot.as_nanos().max(1)) as u64
    }

    /// Counts one statement of `tenant` that took `time`, touched `rows`
    /// and ended as `outcome`.
    pub(super) fn record(
        &self,
        tenant: &TenantTelemetry,
        time: Duration,
        rows: u64,
        outcome: Outcome,
    ) {
        let window = self.window_of(tenant);
        let now = self.slot_now();
        let mut window = window.lock().expect("usage window lock");
        if window.slots.back().is_none_or(|(slot, _)| *slot != now) {
            window.slots.push_back((now, Counts::default()));
            while window.slots.len() > SLOTS as usize {
                window.slots.pop_front();
            }
        }
        let counts = &mut window.slots.back_mut().expect("a slot was pushed").1;
        counts.statements += 1;
        counts.rows += rows;
        counts.time += time;
        counts.errors += u64::from(outcome != Outcome::Done);
        counts.timeouts += u64::from(outcome == Outcome::TimedOut);
        counts.rejections += u64::from(outcome == Outcome::Rejected);
    }

    fn window_of(&self, tenant: &TenantTelemetry) -> Arc<Mutex<TenantWindow>> {
        if let Some(window) = self.tenants.read().expect("usage lock").get(&tenant.id) {
            return window.clone();
        }
        self.tenants
            .write()
            .expect("usage lock")
            .entry(tenant.id)
            .or_insert_with(|| {
                Arc::new(Mutex::new(TenantWindow {
                    name: tenant.name.clone(),
                    tier: tenant.tier.clone(),
                    placement: tenant.placement,
                    slots: VecDeque::new(),
                }))
            })
            .clone()
    }

    /// Every tenant that worked within the window, the busiest (most time)
    /// first; tenants idle for a whole window are forgotten.
    pub(super) fn snapshot(&self) -> Vec<TenantUsage> {
        let oldest = (self.slot_now() + 1).saturating_sub(u64::from(SLOTS));
        let mut tenants = self.tenants.write().expect("usage lock");
        let mut usage = Vec::with_capacity(tenants.len());
        tenants.retain(|id, window| {
            let window = window.lock().expect("usage window lock");
            let mut counts = Counts::default();
            for (_, slot) in window.slots.iter().filter(|(slot, _)| *slot >= oldest) {
                counts.add(slot);
            }
            if counts.statements == 0 {
                return false;
            }
            usage.push(TenantUsage {
                tenant: *id,
                name: window.name.to_string(),
                tier: window.tier.to_string(),
                placement: window.placement,
                statements: counts.statements,
                rows: counts.rows,
                errors: counts.errors,
                timeouts: counts.timeouts,
                rejections: counts.rejections,
                time: counts.time,
            });
            true
        });
        usage.sort_by(|a, b| {
            (b.time, b.statements, a.tenant.as_uuid()).cmp(&(
                a.time,
                a.statements,
                b.tenant.as_uuid(),
            ))
        });
        usage
    }
}
