//! Every tenant's gate in this process, kept across the routes that the
//! registry's changes replace, so that a new route does not reset a rate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tenantry_query::TenantId;

use super::gate::Gate;
use super::overrides::LimitOverrides;
use super::tiers::Tiers;

/// The tiers' limits, and the gates of the tenants that have stateful ones.
#[derive(Debug)]
pub(crate) struct Gates {
    tiers: Tiers,
    gates: Mutex<HashMap<TenantId, Arc<Gate>>>,
}

impl Gates {
    /// Gates for the limits of `tiers`.
    pub(crate) fn new(tiers: Tiers) -> Self {
        Self {
            tiers,
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// The gate of `tenant`, of tier `tier` with `overrides` of its own, on
    /// a pool of `pool_size`: the one it has if its limits are unchanged,
    /// else a new one. Called once per route, never per statement.
    pub(crate) fn gate(
        &self,
        tenant: TenantId,
        (tier, overrides): (&str, &LimitOverrides),
        pool_size: usize,
    ) -> Arc<Gate> {
        let limits = overrides.apply(self.tiers.of(tenant, tier));
        let mut gates = self.gates.lock().expect("gates lock");
        if let Some(gate) = gates.get(&tenant) {
            if gate.enforces(&limits, pool_size) {
                return gate.clone();
            }
        }
        let gate = Arc::new(Gate::new(tenant, limits, pool_size));
        if gate.is_stateful() {
            gates.insert(tenant, gate.clone());
        } else {
            gates.remove(&tenant);
        }
        gate
    }
}
