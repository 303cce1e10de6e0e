//! The tenant label of metrics, of bounded cardinality: the busiest tenants
//! by name, every other one as `other`. A generation number changes with
//! the named set, so that a tenant's metric handles, registered under one
//! label, are registered again only when its label may have changed.

use std::collections::HashSet;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tenantry_query::TenantId;

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
    /// Changes each time the named set does.
    generation: AtomicU64,
}

impl BusiestTenants {
    /// Names at most `limit` tenants.
    pub(super) fn new(limit: usize) -> Self {
        Self {
            limit,
            named: RwLock::new(HashSet::new()),
            started: Instant::now(),
            chosen_at: AtomicU64::new(0),
            generation: AtomicU64::new(0),
        }
    }

    /// The generation of the named set now: once a second, the named
    /// tenants first become the busiest of `usage`.
    pub(super) fn generation(&self, usage: &UsageWindows) -> u64 {
        self.choose_again_if_due(usage);
        self.generation.load(Ordering::Acquire)
    }

    /// Whether tenant `id` is named in labels (else it is `other`): while
    /// it is among the busiest, or while fewer tenants than the limit are
    /// named, which names it from then on.
    pub(super) fn names(&self, id: TenantId) -> bool {
        {
            let named = self.named.read().expect("named tenants lock");
            if named.contains(&id) {
                return true;
            }
            if named.len() >= self.limit {
                return false;
            }
        }
        let mut named = self.named.write().expect("named tenants lock");
        if named.len() < self.limit && named.insert(id) {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        named.contains(&id)
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
            .collect::<HashSet<_>>();
        let mut named = self.named.write().expect("named tenants lock");
        if *named != busiest {
            *named = busiest;
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}
