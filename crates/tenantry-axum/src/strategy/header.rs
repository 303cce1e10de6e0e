//! A tenant named by a request header.

use axum::http::HeaderName;
use axum::http::request::Parts;

use super::{BoxFuture, Naming, header_name, parsed};
use crate::name::TenantName;
use crate::problem::{Problem, ProblemKind};

/// Names the tenant by the value of a header (`X-Tenant: acme`). Anyone can
/// send any header: cross-checked against a credential with
/// [`TenantResolver::named_by`](crate::TenantResolver::named_by), trusted
/// alone only behind a gateway that sets it and strips the client's.
///
/// ```
/// let by_header = tenantry_axum::Header::new("x-tenant");
/// # let _ = by_header;
/// ```
#[derive(Debug, Clone)]
pub struct Header {
    name: HeaderName,
}

impl Header {
    /// The header `name` (in any case).
    ///
    /// # Panics
    ///
    /// If `name` is not a valid header name.
    pub fn new(name: &str) -> Self {
        Self {
            name: header_name(name),
        }
    }

    /// Its value, if the request has one, as text.
    fn value<'a>(&self, parts: &'a Parts) -> Result<Option<&'a str>, Problem> {
        let mut values = parts.headers.get_all(&self.name).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(Problem::new(
                ProblemKind::MalformedName,
                format!("the header {} is given more than once", self.name),
            ));
        }
        value.to_str().map(Some).map_err(|_| {
            Problem::new(
                ProblemKind::MalformedName,
                format!("the header {} is not text", self.name),
            )
        })
    }
}

impl Naming for Header {
    fn name<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<TenantName>, Problem>> {
        let named = self.value(parts).and_then(|value| {
            value
                .map(|text| parsed(text, &|| self.describe()))
                .transpose()
        });
        Box::pin(std::future::ready(named))
    }

    fn describe(&self) -> String {
        format!("header {}", self.name)
    }
}
