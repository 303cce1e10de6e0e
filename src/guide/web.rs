//! # Web requests: the tenant of each axum request
//!
//! With the `axum` feature, [`tenantry::axum`](crate::axum) resolves each
//! request's tenant before any data access and hands the handler its
//! handle: the [`Tenant`](crate::axum::Tenant) extractor is the only way a
//! handler gets one. The router's state is a
//! [`TenantResolver`](crate::axum::TenantResolver), which holds the
//! [`Tenantry`](crate::Tenantry) and gives it to no handler; global data is
//! reached through [`TenantResolver::global`](crate::axum::TenantResolver::global).
//!
//! # Proving the tenant, and naming it
//!
//! A request **proves** its tenant with a credential the application
//! verifies, and may **name** it in its host, a header or its path, which
//! anyone can edit:
//!
//! | source | kind | what it reads |
//! |---|---|---|
//! | [`Jwt`](crate::axum::Jwt) | credential | a claim (`tenant_id` by default) of `Authorization: Bearer`, once its signature verifies with a key of the [`KeySet`](crate::axum::KeySet) (HS, RS, PS, ES, EdDSA keys or a JWK set), with the one algorithm that key is pinned to, and its `exp` and `aud` (both required) hold; `alg: none` is refused |
//! | [`ApiKeys`](crate::axum::ApiKeys) | credential | a key in a header, looked up by its SHA-256 in the application's [`ApiKeyStore`](crate::axum::ApiKeyStore) and compared in constant time |
//! | [`Subdomain`](crate::axum::Subdomain) | naming | `acme` of `acme.example.com` |
//! | [`Header`](crate::axum::Header) | naming | `X-Tenant: acme` |
//! | [`PathParam`](crate::axum::PathParam) | naming | `acme` of `/t/{tenant}/projects` |
//!
//! A name is a tenant id, or a slug that the application's
//! [`Directory`](crate::axum::Directory) (a map, or a table of its own)
//! turns into one.
//!
//! The safe composition is the short one: `verified_by` for credentials,
//! `named_by` for everything else. A named tenant must be the proved one,
//! or the request is refused with 403: editing the URL, the header or the
//! host switches no tenant. A name without a credential proves nothing
//! (401). Only `trusting` lets a naming source identify a tenant alone, for
//! what the application's own authentication sets (a gateway that writes
//! the header and strips the client's); it too must agree with any
//! credential presented.
//!
//! ```no_run
//! use std::collections::HashMap;
//! use axum::{Json, Router, routing::get};
//! use tenantry::axum::jsonwebtoken::Algorithm;
//! use tenantry::axum::{
//!     ApiKeyTable, ApiKeys, Header, Jwt, Key, PathParam, Problem, Subdomain, Tenant,
//!     TenantResolver,
//! };
//! use tenantry::prelude::*;
//!
//! #[derive(Entity, Debug)]
//! #[entity(table = "projects", tenant_scoped)]
//! pub struct Project {
//!     #[entity(primary_key)]
//!     pub id: Uuid,
//!     pub tenant_id: TenantId,
//!     pub name: String,
//! }
//!
//! async fn project_names(tenant: Tenant) -> Result<Json<Vec<String>>, Problem> {
//!     let projects = tenant.select::<Project>().all().await?;
//!     Ok(Json(projects.into_iter().map(|project| project.name).collect()))
//! }
//!
//! # async fn run(slugs: HashMap<String, TenantId>, keys: ApiKeyTable) -> Result<(), Box<dyn std::error::Error>> {
//! let db = Tenantry::connect(Config::from_env()?).await?;
//! let key = Key::hmac(Algorithm::HS256, std::env::var("JWT_SECRET")?.as_bytes())?;
//! let resolver = TenantResolver::new(db)
//!     .verified_by(Jwt::new(key, "https://api.example.com").claim("org"))
//!     .verified_by(ApiKeys::new("x-api-key", keys))
//!     .named_by(Subdomain::of("example.com"))
//!     .named_by(Header::new("x-tenant"))
//!     .named_by(PathParam::new("tenant"))
//!     .directory(slugs);
//! let app = Router::new()
//!     .route("/projects", get(project_names))
//!     .route("/t/{tenant}/projects", get(project_names))
//!     .with_state(resolver);
//! axum::serve(tokio::net::TcpListener::bind("0.0.0.0:8080").await?, app).await?;
//! # Ok(()) }
//! ```
//!
//! # Rejections
//!
//! A request that cannot be served gets an RFC 9457 problem
//! (`application/problem+json`, with `type`, `title`, `status`, `detail`),
//! and handlers return the same [`Problem`](crate::axum::Problem), with
//! `?` on the runtime's errors:
//!
//! | status | when |
//! |---|---|
//! | 401 | nothing proves a tenant, or a credential does not verify (unsigned, another key, expired, another audience, an unknown API key) |
//! | 400 | a header, host or path names a tenant in a malformed way |
//! | 403 | a named tenant, or a second credential's, is not the proved one; or the tenant is suspended |
//! | 404 | no tenant has the name (or it is still being provisioned); a row the tenant does not have |
//! | 410 | the tenant was erased |
//! | 503 + `Retry-After` | the tenant is being moved; the database cannot be reached |
//! | 429 + `Retry-After` | the tenant is over its rate or concurrency limits ([`neighbours`](super::neighbours)) |
//! | 409 | a write broke a constraint |
//! | 500 | anything else; its cause is logged, not shown |
//!
//! `examples/axum_app/` is a small API on it (projects and tasks, a
//! report), whose tests call it over HTTP with each strategy, each
//! rejection and the spoofing attempts: `cargo run --example axum_app
//! --features axum`.
