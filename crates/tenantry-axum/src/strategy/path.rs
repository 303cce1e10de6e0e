//! A tenant named by a segment of the route's path.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use super::{BoxFuture, Naming, parsed};
use crate::name::TenantName;
use crate::problem::Problem;

/// Names the tenant by the route's path parameter `name` (`/t/{tenant}/...`).
/// A user edits a URL at will: cross-check it against a credential with
/// [`TenantResolver::named_by`](crate::TenantResolver::named_by).
///
/// ```
/// let by_path = tenantry_axum::PathParam::new("tenant"); // routes under "/t/{tenant}"
/// # let _ = by_path;
/// ```
#[derive(Debug, Clone)]
pub struct PathParam {
    name: &'static str,
}

impl PathParam {
    /// The path parameter `name`, as the route declares it (`{name}`).
    pub fn new(name: &'static str) -> Self {
        Self { name }
    }
}

impl Naming for PathParam {
    fn name<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<TenantName>, Problem>> {
        Box::pin(async move {
            // Routes without parameters have none to give.
            let Ok(params) = RawPathParams::from_request_parts(parts, &()).await else {
                return Ok(None);
            };
            params
                .iter()
                .find(|(key, _)| *key == self.name)
                .map(|(_, value)| parsed(value, &|| self.describe()))
                .transpose()
        })
    }

    fn describe(&self) -> String {
        format!("path segment {{{}}}", self.name)
    }
}
