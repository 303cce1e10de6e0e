//! Which tenant a request acts for: the sources the application configured,
//! cross-checked, then the registry.

use std::sync::Arc;

use axum::http::request::Parts;
use tenantry_postgres::{Global, Tenant, Tenantry};
use tenantry_query::TenantId;

use crate::directory::Directory;
use crate::name::TenantName;
use crate::problem::{Problem, ProblemKind};
use crate::strategy::{Credential, Naming};

/// Resolves the tenant of each request, for the [`Tenant`](crate::Tenant)
/// extractor, which takes it from the router's state.
///
/// Sources come in three kinds, and the safe composition is the short one:
///
/// - [`verified_by`](Self::verified_by): a [`Credential`] (a [`Jwt`](crate::Jwt)
///   claim, [`ApiKeys`](crate::ApiKeys)) proves the tenant. Two credentials
///   that prove different tenants are refused (403).
/// - [`named_by`](Self::named_by): a [`Naming`] (a [`Subdomain`](crate::Subdomain),
///   a [`Header`](crate::Header), a [`PathParam`](crate::PathParam)) names a
///   tenant that must be the one a credential proves, or a trusted source
///   identifies (else 403): editing a URL or a header switches no tenant.
///   It never identifies one alone.
/// - [`trusting`](Self::trusting): a [`Naming`] that may identify the tenant
///   without a credential, for an application behind its own authentication
///   (a gateway that sets the header and strips the client's). It too must
///   agree with any credential presented, and the `named_by` sources are
///   checked against it.
///
/// A request that nothing proves or trusts is refused (401). The resolver
/// holds the [`Tenantry`] but gives it to no handler: a handler reaches
/// tenant data through the extractor only, and global data through
/// [`TenantResolver::global`].
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use jsonwebtoken::Algorithm;
/// use tenantry_axum::{Header, Jwt, Key, PathParam, Subdomain, Tenant, TenantResolver};
/// use tenantry_postgres::{Config, Tenantry};
///
/// async fn projects(tenant: Tenant) -> String {
///     format!("the projects of {}", tenant.tenant())
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let db = Tenantry::connect(Config::from_env()?).await?;
/// let key = Key::hmac(Algorithm::HS256, std::env::var("JWT_SECRET")?.as_bytes())?;
/// let resolver = TenantResolver::new(db)
///     .verified_by(Jwt::new(key, "https://api.example.com"))
///     .named_by(Subdomain::of("example.com"))
///     .named_by(Header::new("x-tenant"))
///     .named_by(PathParam::new("tenant"));
/// let app = Router::new()
///     .route("/projects", get(projects))
///     .route("/t/{tenant}/projects", get(projects))
///     .with_state(resolver);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TenantResolver {
    inner: Arc<Sources>,
}

/// What a resolver was configured with.
#[derive(Clone)]
struct Sources {
    db: Tenantry,
    credentials: Vec<Arc<dyn Credential>>,
    named: Vec<Arc<dyn Naming>>,
    trusted: Vec<Arc<dyn Naming>>,
    directory: Option<Arc<dyn Directory>>,
}

/// The tenant a request identified, and which source identified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// The tenant's id.
    pub id: TenantId,
    /// What identified it (`"bearer token"`, `"header x-tenant"`).
    pub by: String,
}

impl TenantResolver {
    /// A resolver of `db`'s tenants that no source identifies yet: every
    /// request is refused until a credential or a trusted source is added.
    pub fn new(db: Tenantry) -> Self {
        Self {
            inner: Arc::new(Sources {
                db,
                credentials: Vec::new(),
                named: Vec::new(),
                trusted: Vec::new(),
                directory: None,
            }),
        }
    }

    /// Adds a credential that proves the tenant.
    pub fn verified_by(mut self, credential: impl Credential) -> Self {
        Arc::make_mut(&mut self.inner)
            .credentials
            .push(Arc::new(credential));
        self
    }

    /// Adds a source that names a tenant, which must be the one proved (by
    /// a credential, or a trusted source).
    pub fn named_by(mut self, naming: impl Naming) -> Self {
        Arc::make_mut(&mut self.inner).named.push(Arc::new(naming));
        self
    }

    /// Adds a source trusted to identify the tenant alone: only for what
    /// the application's own authentication sets, never for what any
    /// client can send.
    pub fn trusting(mut self, naming: impl Naming) -> Self {
        Arc::make_mut(&mut self.inner)
            .trusted
            .push(Arc::new(naming));
        self
    }

    /// Maps the slugs that sources name to ids (without one, only ids name
    /// tenants).
    pub fn directory(mut self, directory: impl Directory) -> Self {
        Arc::make_mut(&mut self.inner).directory = Some(Arc::new(directory));
        self
    }

    /// The handle for global entities, which reaches no tenant's data.
    pub fn global(&self) -> Global {
        self.inner.db.global()
    }

    /// The tenant the request of `parts` identifies, without asking the
    /// registry whether it serves.
    pub async fn identify(&self, parts: &mut Parts) -> Result<Identified, Problem> {
        let sources = &self.inner;
        let mut proved: Option<Identified> = None;
        for credential in &sources.credentials {
            if let Some(name) = credential.verify(parts).await? {
                let by = credential.describe();
                let id = self.id_of(&name).await?.ok_or_else(unknown)?;
                agree(&mut proved, Identified { id, by })?;
            }
        }
        for naming in &sources.trusted {
            if let Some(name) = naming.name(parts).await? {
                let by = naming.describe();
                let id = self.id_of(&name).await?;
                match (&proved, id) {
                    (Some(proof), id) if id != Some(proof.id) => {
                        return Err(mismatch(&by, &proof.by));
                    }
                    (Some(_), _) => {}
                    (None, Some(id)) => proved = Some(Identified { id, by }),
                    (None, None) => return Err(unknown()),
                }
            }
        }
        for naming in &sources.named {
            if let Some(name) = naming.name(parts).await? {
                let by = naming.describe();
                let Some(proof) = &proved else {
                    return Err(Problem::new(
                        ProblemKind::NotIdentified,
                        format!("the {by} names a tenant, but no credential proves it"),
                    ));
                };
                if self.id_of(&name).await? != Some(proof.id) {
                    return Err(mismatch(&by, &proof.by));
                }
            }
        }
        proved.ok_or_else(|| {
            Problem::new(
                ProblemKind::NotIdentified,
                "the request presents no credential that identifies its tenant",
            )
        })
    }

    /// The handle of the tenant the request of `parts` identifies, if the
    /// registry has it and it serves.
    pub async fn resolve(&self, parts: &mut Parts) -> Result<Tenant, Problem> {
        Ok(self.resolved(parts).await?.0)
    }

    /// The handle of the request's tenant, and what identified it.
    pub(crate) async fn resolved(
        &self,
        parts: &mut Parts,
    ) -> Result<(Tenant, Identified), Problem> {
        let identified = self.identify(parts).await.map_err(|problem| {
            log_refusal(&problem);
            self.challenged(problem)
        })?;
        let tenant = self.inner.db.tenant(identified.id).await?;
        Ok((tenant, identified))
    }

    /// `problem`, with the credentials' challenges if it is a 401.
    fn challenged(&self, problem: Problem) -> Problem {
        if problem.kind() != ProblemKind::NotIdentified {
            return problem;
        }
        let mut challenges: Vec<&str> = self
            .inner
            .credentials
            .iter()
            .filter_map(|credential| credential.challenge())
            .collect();
        challenges.sort_unstable();
        challenges.dedup();
        if challenges.is_empty() {
            return problem;
        }
        problem.with_challenge(challenges.join(", "))
    }

    /// The id `name` stands for: itself, or what the directory maps it to.
    async fn id_of(&self, name: &TenantName) -> Result<Option<TenantId>, Problem> {
        match (name, &self.inner.directory) {
            (TenantName::Id(id), _) => Ok(Some(*id)),
            (TenantName::Slug(slug), Some(directory)) => Ok(directory.id_of(slug).await?),
            (TenantName::Slug(_), None) => Ok(None),
        }
    }
}

/// Logs a refused request: a mismatch, which a spoofing attempt is, as a
/// warning; the rest at debug level. Neither names a tenant.
fn log_refusal(problem: &Problem) {
    match problem.kind() {
        ProblemKind::Mismatch => {
            tracing::warn!(
                detail = problem.detail(),
                "a request named another tenant than it proved"
            )
        }
        kind => tracing::debug!(
            ?kind,
            detail = problem.detail(),
            "a request's tenant was not identified"
        ),
    }
}

/// Records `found` as the proved tenant, refusing one that contradicts an
/// earlier proof.
fn agree(proved: &mut Option<Identified>, found: Identified) -> Result<(), Problem> {
    match proved {
        Some(earlier) if earlier.id != found.id => Err(mismatch(&found.by, &earlier.by)),
        Some(_) => Ok(()),
        None => {
            *proved = Some(found);
            Ok(())
        }
    }
}

/// The problem of `source` naming another tenant than `proof`.
fn mismatch(source: &str, proof: &str) -> Problem {
    Problem::new(
        ProblemKind::Mismatch,
        format!("the {source} names another tenant than the {proof}"),
    )
}

/// The problem of a name no tenant has.
fn unknown() -> Problem {
    Problem::new(
        ProblemKind::UnknownTenant,
        "no tenant is registered under the name the request gives",
    )
}
