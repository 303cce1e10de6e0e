//! The `Tenant` extractor: the handle of the request's tenant, the only way
//! a handler reaches tenant data.

use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use crate::problem::Problem;
use crate::resolver::{Identified, TenantResolver};

/// The handle of the tenant the request acts for, resolved by the
/// router state's [`TenantResolver`]; it dereferences to
/// [`tenantry_postgres::Tenant`], whose statements run in that tenant's
/// context only. A request it cannot resolve is answered with the
/// [`Problem`] (401, 403, 404, 410, 503).
///
/// ```no_run
/// use axum::Json;
/// use tenantry_axum::{Problem, Tenant};
///
/// async fn count(tenant: Tenant) -> Result<Json<i64>, Problem> {
///     let rows = tenant.raw_query("SELECT count(*) FROM projects", &[]).await?;
///     Ok(Json(rows[0].get(0)))
/// }
/// # let _ = count;
/// ```
#[derive(Clone)]
pub struct Tenant {
    handle: tenantry_postgres::Tenant,
    identified: Identified,
}

impl Tenant {
    /// What identified the tenant (a bearer token, an API key, a trusted
    /// header), for the application's own logs.
    pub fn identified(&self) -> &Identified {
        &self.identified
    }

    /// The tenantry handle, to keep beyond the request (into a job, with
    /// `to_ref`).
    pub fn into_inner(self) -> tenantry_postgres::Tenant {
        self.handle
    }
}

impl Deref for Tenant {
    type Target = tenantry_postgres::Tenant;

    fn deref(&self) -> &Self::Target {
        &self.handle
    }
}

impl<S> FromRequestParts<S> for Tenant
where
    TenantResolver: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let resolver = TenantResolver::from_ref(state);
        let (handle, identified) = resolver.resolved(parts).await?;
        Ok(Self { handle, identified })
    }
}
