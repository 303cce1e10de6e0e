//! The identity of a tenant.

use std::fmt;
use std::str::FromStr;

use postgres_types::{FromSql, Type};
use uuid::Uuid;

/// The id of a tenant: a UUID with a type of its own.
///
/// A `TenantId` is never a column value that callers bind, compare or set:
/// the [`TenantScoped`](crate::TenantScoped) handle supplies it to every
/// statement. It can be read back from a row (an entity's `tenant_id` field).
///
/// ```
/// # use tenantry_query::TenantId;
/// let id: TenantId = "5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01".parse().unwrap();
/// assert_eq!(id.to_string(), "5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct TenantId(Uuid);

impl TenantId {
    /// Wraps a UUID.
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// A fresh random tenant id (UUID v4).
    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The UUID inside.
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// `name` as an id if it is a UUID in its hyphenated form, the only
    /// form that is never a slug: where a name may be either, the others
    /// (32 letters and digits without hyphens, say) are slugs a tenant may
    /// have chosen, and must not name the tenant whose id they spell.
    ///
    /// ```
    /// # use tenantry_query::TenantId;
    /// let id = "5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01";
    /// assert_eq!(TenantId::in_name(id), id.parse().ok());
    /// assert_eq!(TenantId::in_name("5f1c4b1e8a3e4a0b9c550d0c3a7b7e01"), None);
    /// assert_eq!(TenantId::in_name("acme"), None);
    /// ```
    pub fn in_name(name: &str) -> Option<Self> {
        /// The length of the hyphenated form, the only form of its length.
        const HYPHENATED: usize = 36;
        if name.len() != HYPHENATED {
            return None;
        }
        name.parse().ok()
    }
}

impl From<Uuid> for TenantId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

impl fmt::Display for TenantId {
    /// The hyphenated lower-case form, the only form tenantry ever renders.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for TenantId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

impl<'a> FromSql<'a> for TenantId {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Uuid::from_sql(ty, raw).map(Self)
    }

    fn accepts(ty: &Type) -> bool {
        <Uuid as FromSql>::accepts(ty)
    }
}
