//! The limits of every tier, and of the tenants that override theirs.

use std::collections::HashMap;

use tenantry_query::TenantId;

use super::tier::Limits;

/// Limits by tier name, by tenant, and for tiers nobody configured.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tiers {
    pub(crate) by_tier: HashMap<String, Limits>,
    pub(crate) by_tenant: HashMap<TenantId, Limits>,
    pub(crate) otherwise: Limits,
}

impl Tiers {
    /// The limits of `tenant`, of tier `tier`: its own if it has any, else
    /// its tier's, else those of tiers not configured.
    pub(crate) fn of(&self, tenant: TenantId, tier: &str) -> Limits {
        self.by_tenant
            .get(&tenant)
            .or_else(|| self.by_tier.get(tier))
            .copied()
            .unwrap_or(self.otherwise)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_tenant_override_beats_its_tier_which_beats_the_default() {
        let acme: TenantId = "00000000-0000-0000-0000-00000000002a".parse().unwrap();
        let other: TenantId = "00000000-0000-0000-0000-00000000002b".parse().unwrap();
        let free = Limits::default().statement_timeout(Duration::from_secs(5));
        let own = Limits::default().statement_timeout(Duration::from_secs(9));
        let tiers = Tiers {
            by_tier: HashMap::from([("free".to_owned(), free)]),
            by_tenant: HashMap::from([(acme, own)]),
            otherwise: Limits::default().queue(Duration::from_secs(1)),
        };
        assert_eq!(tiers.of(acme, "free"), own);
        assert_eq!(tiers.of(other, "free"), free);
        assert_eq!(
            tiers.of(other, "standard"),
            Limits::default().queue(Duration::from_secs(1))
        );
    }
}
