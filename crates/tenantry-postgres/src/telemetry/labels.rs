//! The tenant label of metrics, of bounded cardinality: the busiest tenants
//! by name, every other one as `other`.

use std::collections::HashSet;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use metrics::SharedString;
use tenantry_query::TenantId;

use super::TenantTelemetry;
use super::attributes::metric::OTHER_TENANTS;
use super::usage::UsageWindows;

/// How often the named tenants are chosen again from the usage window.
const REFRESH: Duration = Duration::from_secs(1);

/// The tenants named in labels now.
#[derive(Debug)]
pub(super) struct BusiestTenants {
    limit: usize,
    named: RwLock<HashSet<TenantId>>,
    started: Instant,
    /// When the named tenants were last chosen, in milliseconds since `started`.
    chosen_at: AtomicU64,
}

impl BusiestTenants {
    /// Names at most `limit` tenants.
    pub(super) fn new(limit: usize) -> Self {
        Self {
            limit,
            named: RwLock::new(HashSet::new()),
            started: Instant::now(),
            chosen_at: AtomicU64::new(0),
        }
    }

    /// The label of `tenant`: its name while it is among the busiest (or
    /// while fewer tenants than the limit are named), else `other`. Once a
    /// second, the named tenants become the busiest of `usage`.
    pub(super) fn label(&self, tenant: &TenantTelemetry, usage: &UsageWindows) -> SharedString {
        self.choose_again_if_due(usage);
        {
            let named = self.named.read().expect("named tenants lock");
            if named.contains(&tenant.id) {
                return SharedString::from_shared(tenant.name.clone());
            }
            if named.len() >= self.limit {
                return SharedString::const_str(OTHER_TENANTS);
            }
        }
        let mut named = self.named.write().expect("named tenants lock");
        if named.len() < self.limit {
            named.insert(tenant.id);
        }
        if named.contains(&tenant.id) {
            SharedString::from_shared(tenant.name.clone())
        } else {
            SharedString::const_str(OTHER_TENANTS)
        }
    }

    fn choose_again_if_due(&self, usage: &UsageWindows) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.chosen_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) < REFRESH.as_millis() as u64
            || self
                .chosen_at
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let busiest = usage
            .snapshot()
            .into_iter()
            .take(self.limit)
            .map(|tenant| tenant.tenant)
            .collect();
        *self.named.write().expect("named tenants lock") = busiest;
    }
}
