//! # tenantry-axum
//!
//! The tenant of each axum request, resolved before any data access: a
//! [`Tenant`] extractor hands the handler the tenantry handle of the tenant
//! the request proves, and is the only way a handler gets one.
//!
//! A [`TenantResolver`] in the router's state says how a request proves its
//! tenant: a verified [`Jwt`] claim or an [`ApiKeys`] key (credentials),
//! cross-checked against what a [`Subdomain`], a [`Header`] or a
//! [`PathParam`] names, so that editing a URL or a header switches no
//! tenant. A naming source identifies a tenant alone only when the
//! application declares it trusted ([`TenantResolver::trusting`]).
//!
//! A request that cannot be served is answered with an RFC 9457
//! [`Problem`] (`application/problem+json`): no tenant identified 401, a
//! mismatch 403, an unknown tenant 404, a suspended one 403, an erased one
//! 410, a moving one 503 and a rate-limited one 429, both with
//! `Retry-After`. Handlers return the same type, with `?` on the runtime's
//! errors.
//!
//! ```no_run
//! use axum::{Json, Router, extract::State, routing::get};
//! use jsonwebtoken::Algorithm;
//! use tenantry_axum::{Jwt, Key, PathParam, Problem, Tenant, TenantResolver};
//! use tenantry_postgres::{Config, Tenantry};
//!
//! async fn project_names(tenant: Tenant) -> Result<Json<Vec<String>>, Problem> {
//!     let rows = tenant.raw_query("SELECT name FROM projects ORDER BY name", &[]).await?;
//!     Ok(Json(rows.iter().map(|row| row.get(0)).collect()))
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Tenantry::connect(Config::from_env()?).await?;
//! let key = Key::hmac(Algorithm::HS256, std::env::var("JWT_SECRET")?.as_bytes())?;
//! let resolver = TenantResolver::new(db)
//!     .verified_by(Jwt::new(key, "https://api.example.com"))
//!     .named_by(PathParam::new("tenant"));
//! let app = Router::new()
//!     .route("/t/{tenant}/projects", get(project_names))
//!     .with_state(resolver);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

mod directory;
mod extractor;
mod name;
mod problem;
mod rejection;
mod resolver;
mod strategy;

pub use directory::Directory;
pub use extractor::Tenant;
pub use name::TenantName;
pub use problem::{PROBLEM_JSON, Problem, ProblemKind};
pub use rejection::{MOVING_RETRY_AFTER, UNAVAILABLE_RETRY_AFTER};
pub use resolver::{Identified, TenantResolver};
pub use strategy::{
    ApiKeyStore, ApiKeyTable, ApiKeys, BoxFuture, Credential, Header, Jwt, Key, KeyError, KeyHash,
    KeySet, Naming, PathParam, StoredKey, Subdomain,
};

/// The JSON Web Token crate the keys and algorithms are named from.
pub use jsonwebtoken;
