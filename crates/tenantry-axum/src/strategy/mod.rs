//! The ways a request identifies its tenant. A [`Credential`] proves it (a
//! verified token's claim, an API key looked up by its hash); a [`Naming`]
//! only says it (a subdomain, a header, a path segment), and is believed
//! only where it agrees with a credential, or where the application
//! declares it trusted.

mod api_key;
mod header;
mod jwt;
mod keys;
mod path;
mod subdomain;

use std::future::Future;
use std::pin::Pin;

use axum::http::HeaderName;
use axum::http::request::Parts;

use crate::name::TenantName;
use crate::problem::Problem;

pub use api_key::{ApiKeyStore, ApiKeyTable, ApiKeys, KeyHash, StoredKey};
pub use header::Header;
pub use jwt::Jwt;
pub use keys::{Key, KeyError, KeySet};
pub use path::PathParam;
pub use subdomain::Subdomain;

/// A boxed, sendable future: what the strategies' methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source that proves which tenant a request acts for.
///
/// Besides [`Jwt`] and [`ApiKeys`], an application may prove the tenant its
/// own way: here, a session its authentication middleware verified and left
/// in the request's extensions.
///
/// ```
/// use axum::http::request::Parts;
/// use tenantry_axum::{BoxFuture, Credential, Problem, TenantName};
/// use tenantry_query::TenantId;
///
/// /// What the application's session middleware inserts once it has
/// /// verified the session cookie.
/// #[derive(Clone)]
/// struct VerifiedSession {
///     tenant: TenantId,
/// }
///
/// struct Session;
///
/// impl Credential for Session {
///     fn verify<'a>(&'a self, parts: &'a mut Parts) -> BoxFuture<'a, Result<Option<TenantName>, Problem>> {
///         let tenant = parts.extensions.get::<VerifiedSession>().map(|session| TenantName::Id(session.tenant));
///         Box::pin(std::future::ready(Ok(tenant)))
///     }
///
///     fn describe(&self) -> String {
///         "session".to_owned()
///     }
/// }
/// ```
pub trait Credential: Send + Sync + 'static {
    /// The tenant the request's credential proves, `None` when it presents
    /// none of this kind; a credential presented that does not verify is
    /// [`ProblemKind::NotIdentified`](crate::ProblemKind::NotIdentified).
    fn verify<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<TenantName>, Problem>>;

    /// What it is, for the problems that name it (`"bearer token"`).
    fn describe(&self) -> String;

    /// The `WWW-Authenticate` challenge of a request refused with 401, for
    /// a credential of an HTTP authentication scheme (`Bearer`).
    fn challenge(&self) -> Option<&'static str> {
        None
    }
}

/// A source that names a tenant without proving anything.
pub trait Naming: Send + Sync + 'static {
    /// The tenant the request names this way, `None` when it names none; a
    /// malformed name is [`ProblemKind::MalformedName`](crate::ProblemKind::MalformedName).
    fn name<'a>(
        &'a self,
        parts: &'a mut Parts,
    ) -> BoxFuture<'a, Result<Option<TenantName>, Problem>>;

    /// What it is, for the problems that name it (`"header x-tenant"`).
    fn describe(&self) -> String;
}

/// The header `name`, in any case.
///
/// # Panics
///
/// If `name` is not a valid header name.
fn header_name(name: &str) -> HeaderName {
    HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
        .unwrap_or_else(|_| panic!("{name:?} is not a valid header name"))
}

/// The name in `text` as a source reads it, a malformed one refused.
fn parsed(text: &str, source: &dyn Fn() -> String) -> Result<TenantName, Problem> {
    TenantName::parse(text).ok_or_else(|| {
        Problem::new(
            crate::ProblemKind::MalformedName,
            format!("the {} is not a tenant id or slug", source()),
        )
    })
}
