//! A tenant named in a background job's payload: its id alone, resolved
//! through the registry again when the job runs.

use serde::{Deserialize, Serialize};
use tenantry_query::TenantId;

use crate::Error;
use crate::handles::client::Tenantry;
use crate::handles::tenant::Tenant;

/// A tenant as a job's payload carries it: it serializes as the tenant's id
/// (a UUID string) and holds no route, connection or context, so a job
/// learns where its tenant lives, and whether it is still served, only when
/// it runs, with [`Tenantry::resume`]. Nothing tenantry keeps is ambient (no
/// task-local or thread-local tenant): jobs of many tenants can run
/// interleaved on one thread.
///
/// ```
/// # use tenantry_postgres::TenantRef;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct SendReminders {
///     tenant: TenantRef,
///     overdue_days: u32,
/// }
///
/// let id = "5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01".parse().unwrap();
/// let job = SendReminders { tenant: TenantRef::new(id), overdue_days: 30 };
/// let payload = serde_json::to_string(&job).unwrap();
/// assert_eq!(
///     payload,
///     r#"{"tenant":"5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01","overdue_days":30}"#
/// );
/// let back: SendReminders = serde_json::from_str(&payload).unwrap();
/// assert_eq!(back.tenant.id(), id);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantRef {
    #[serde(with = "as_text")]
    id: TenantId,
}

impl TenantRef {
    /// The reference to tenant `id`.
    pub fn new(id: TenantId) -> Self {
        Self { id }
    }

    /// The tenant's id.
    pub fn id(&self) -> TenantId {
        self.id
    }
}

impl Tenant {
    /// A reference to this tenant for a job's payload, resumed with
    /// [`Tenantry::resume`] when the job runs.
    pub fn to_ref(&self) -> TenantRef {
        TenantRef::new(self.tenant())
    }
}

impl Tenantry {
    /// The handle of the tenant `tenant` names, resolved through the
    /// registry now, as [`Tenantry::tenant`] does: a job enqueued before its
    /// tenant moved runs where it lives now, and one whose tenant was
    /// suspended or erased since gets [`Error::TenantNotActive`] or
    /// [`Error::TenantErased`].
    pub async fn resume(&self, tenant: TenantRef) -> Result<Tenant, Error> {
        self.tenant(tenant.id).await
    }
}

/// A tenant id as its text, the hyphenated UUID.
mod as_text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
    use tenantry_query::TenantId;

    pub(super) fn serialize<S: Serializer>(id: &TenantId, to: S) -> Result<S::Ok, S::Error> {
        to.collect_str(id)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<TenantId, D::Error> {
        String::deserialize(from)?.parse().map_err(D::Error::custom)
    }
}
