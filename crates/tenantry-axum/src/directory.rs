//! Slugs to tenant ids: the registry is looked up by id, so a host, header
//! or path that names a tenant by slug needs the application's map.

use std::collections::{BTreeMap, HashMap};

use tenantry_postgres::Error;
use tenantry_query::TenantId;

use crate::strategy::BoxFuture;

/// Maps a tenant's slug to its id, for the names that are not ids.
///
/// A map from slugs to ids is one; an application with many tenants
/// implements it on its own table (through a [`Global`](tenantry_postgres::Global)
/// handle, say) or cache.
///
/// ```
/// use std::collections::HashMap;
/// use tenantry_axum::Directory;
/// use tenantry_query::TenantId;
///
/// fn slugs(acme: TenantId, globex: TenantId) -> impl Directory {
///     HashMap::from([("acme".to_owned(), acme), ("globex".to_owned(), globex)])
/// }
/// # let _ = slugs;
/// ```
pub trait Directory: Send + Sync + 'static {
    /// The id of the tenant with slug `slug`, `None` if there is none.
    fn id_of<'a>(&'a self, slug: &'a str) -> BoxFuture<'a, Result<Option<TenantId>, Error>>;
}

impl Directory for HashMap<String, TenantId> {
    fn id_of<'a>(&'a self, slug: &'a str) -> BoxFuture<'a, Result<Option<TenantId>, Error>> {
        Box::pin(std::future::ready(Ok(self.get(slug).copied())))
    }
}

impl Directory for BTreeMap<String, TenantId> {
    fn id_of<'a>(&'a self, slug: &'a str) -> BoxFuture<'a, Result<Option<TenantId>, Error>> {
        Box::pin(std::future::ready(Ok(self.get(slug).copied())))
    }
}
