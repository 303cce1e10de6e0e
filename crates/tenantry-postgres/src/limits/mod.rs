//! Limits per tenant, so that one tenant's load cannot slow the others on
//! its server: a statement timeout, a cap on concurrent statements, a rate
//! with a burst, and a share of the server's connections.
//!
//! Limits are configured per tier ([`Limits`], [`Config::tier`]) and
//! overridden per tenant ([`Config::tenant_limits`], and limit by limit in
//! the registry: [`LimitOverrides`]); a tenant's tier is its registry `plan`. They are enforced before a connection is taken (the
//! [`gate`]), except the statement timeout, which travels with the tenant
//! context in the statement's own message group. A registry change revokes
//! the tenant's route, and the route read next brings the new tier's limits.
//!
//! [`Config::tier`]: crate::Config::tier
//! [`Config::tenant_limits`]: crate::Config::tenant_limits
//! [`LimitOverrides`]: crate::LimitOverrides

pub(crate) mod admission;
pub(crate) mod gate;
pub(crate) mod gates;
pub(crate) mod overrides;
pub(crate) mod tier;
pub(crate) mod tiers;
pub(crate) mod work;
