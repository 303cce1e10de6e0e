//! Reads across tenants (analytics, reports) through audited access only.

use futures_util::future::try_join_all;
use tenantry_query::TenantId;

use crate::Error;
use crate::handles::support::SupportAccess;

/// Audited access to several tenants under the same terms, one
/// [`SupportAccess`] per tenant: see
/// [`Tenantry::across_tenants`](crate::Tenantry::across_tenants).
///
/// There is no statement over several tenants at once: each tenant's
/// statements run in that tenant's own context, where row-level security
/// shows its rows alone, and each writes its own audit row; the caller
/// combines the results.
#[derive(Clone, Debug)]
pub struct AcrossTenants {
    handles: Vec<SupportAccess>,
}

impl AcrossTenants {
    pub(crate) fn new(handles: Vec<SupportAccess>) -> Self {
        Self { handles }
    }

    /// The access to each tenant, in the order they were asked for.
    pub fn handles(&self) -> &[SupportAccess] {
        &self.handles
    }

    /// Runs `work` on each tenant's access, concurrently, and returns each
    /// tenant's result, in the order the tenants were asked for; the first
    /// failure is the call's.
    ///
    /// ```no_run
    /// # use tenantry_postgres::{Access, Config, Tenantry};
    /// # use tenantry_query::TenantId;
    /// # async fn demo(ids: Vec<TenantId>, access: Access) -> Result<(), tenantry_postgres::Error> {
    /// let db = Tenantry::connect(Config::from_env()?).await?;
    /// let across = db.across_tenants(ids, access).await?;
    /// let counts = across
    ///     .each(async |tenant| {
    ///         let rows = tenant.raw_query("SELECT count(*) FROM invoices", &[]).await?;
    ///         let count: i64 = rows[0].get(0);
    ///         Ok(count)
    ///     })
    ///     .await?;
    /// let total: i64 = counts.iter().map(|(_, count)| count).sum();
    /// # let _ = total;
    /// # Ok(()) }
    /// ```
    pub async fn each<T>(
        &self,
        work: impl AsyncFn(&SupportAccess) -> Result<T, Error>,
    ) -> Result<Vec<(TenantId, T)>, Error> {
        let work = &work;
        try_join_all(
            self.handles
                .iter()
                .map(|handle| async move { Ok((handle.tenant(), work(handle).await?)) }),
        )
        .await
    }
}
