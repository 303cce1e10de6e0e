//! `Tenantry`: the connected library, from which tenant and global handles come.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tenantry_query::TenantId;

use crate::access::terms::Access;
use crate::config::MAIN_SERVER;
use crate::handles::across::AcrossTenants;
use crate::handles::global::Global;
use crate::handles::shared::Shared;
use crate::handles::support::SupportAccess;
use crate::handles::tenant::Tenant;
use crate::limits::gates::Gates;
use crate::limits::overrides::LimitOverrides;
use crate::placement::{Placement, TenantRecord};
use crate::pool::{Server, ServerLimits, Servers};
use crate::routing::listen;
use crate::routing::route::Route;
use crate::routing::router::Router;
use crate::routing::server_lookup;
use crate::telemetry::{GlobalTelemetry, Telemetry, TenantIdentity, TenantUsage};
use crate::{Config, Error};

/// A connection pool to one PostgreSQL database, and the entry point for
/// every handle.
///
/// ```no_run
/// # async fn demo() -> Result<(), tenantry_postgres::Error> {
/// # use tenantry_postgres::{Config, Tenantry};
/// let db = Tenantry::connect(Config::from_env()?).await?;
/// let tenant = db.tenant("5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01".parse().unwrap()).await?;
/// # let _ = tenant;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Tenantry {
    shared: Arc<Shared>,
}

impl Tenantry {
    /// Opens the pools, with a first connection to every server. Every
    /// connection, to any server or tenant database, is refused if its role
    /// is a superuser or has BYPASSRLS (unless the configuration allows it).
    ///
    /// Tenants are routed through the registry if the configuration says so
    /// ([`Config::registry`]) or makes no choice and the main database has a
    /// registry; every tenant is in the shared tables if it says pool-only
    /// ([`Config::pool_only`]). Fails rather than route a tenant where it may
    /// not live: [`Error::RoutingNotChosen`], [`Error::NoRegistry`],
    /// [`Error::RegistryInUse`].
    pub async fn connect(config: Config) -> Result<Self, Error> {
        let limits = ServerLimits {
            main_pool_size: config.pool_size,
            database_pool_size: config.database_pool_size,
            budget: config.budget(),
            batch_connections: config.batch_connections,
            wait: config.wait_timeout,
            idle_timeout: config.idle_timeout,
            statement_cache: config.statement_cache(),
            allow_privileged_role: config.allow_privileged_role,
            connection_lifetime: config.connection_lifetime,
        };
        let servers = Arc::new(Servers::new(
            MAIN_SERVER,
            config
                .all_servers()
                .map(|(name, options)| Server::new(name.to_owned(), options.clone(), limits)),
            limits,
        ));
        // A first connection to every server: each is refused if its role
        // skips row-level security (unless allowed).
        for server in servers.all() {
            server.lease().await?;
        }
        let main = servers.main().lease().await?;
        let privileged = main.client().is_privileged();
        let through_registry = config.routing.through_registry(&main).await?;
        drop(main);
        if through_registry && config.transaction_pooler && config.registry_listener.is_none() {
            return Err(Error::Config(
                "a transaction-mode pooler does not deliver registry notifications: \
                 give the listener a direct connection with `Config::registry_listener`"
                    .to_owned(),
            ));
        }
        let telemetry = Arc::new(Telemetry::new(config.telemetry.clone()));
        let global_telemetry =
            GlobalTelemetry::new(servers.main().options(), config.telemetry.query_text);
        let shared = Arc::new(Shared {
            global_telemetry,
            router: through_registry.then(|| Arc::new(Router::default())),
            gates: Gates::new(config.tiers.clone()),
            config,
            servers,
            privileged,
            telemetry,
        });
        if let Some(router) = &shared.router {
            tokio::spawn(listen(
                Arc::downgrade(router),
                Arc::downgrade(&shared.servers),
                shared.config.listener().clone(),
                shared.config.registry_heartbeat,
            ));
            router
                .wait_until_listening(shared.config.wait_timeout)
                .await;
        }
        tokio::spawn(close_idle_connections(Arc::downgrade(&shared)));
        Ok(Self { shared })
    }

    /// The handle of tenant `id`. Through the registry, the tenant must be
    /// registered and active ([`Error::UnknownTenant`],
    /// [`Error::TenantNotActive`], [`Error::TenantErased`]) and the handle goes where it lives; in a
    /// pool-only deployment ([`Config::pool_only`]), every tenant is in the
    /// main server's shared tables.
    pub async fn tenant(&self, id: TenantId) -> Result<Tenant, Error> {
        Ok(Tenant::new(self.route(id).await?, self.shared.clone()))
    }

    /// Audited, expiring, read-only access to tenant `id`'s data for
    /// someone outside the tenant's own requests (support, an operator):
    /// who, why, under which ticket and until when. The tenant is resolved
    /// as [`Tenantry::tenant`] does, and the handle's statements run as the
    /// tenant's own do, on its rows alone; every transaction (and every
    /// statement outside one) first writes a row to the audit log in the
    /// control schema, and nothing runs if that row cannot be written (see
    /// [`SupportAccess`]). Blank terms are [`Error::InvalidAccess`]; an
    /// access used past its expiry is [`Error::AccessExpired`]. The
    /// application role needs the operator's grants (the audit procedure
    /// of control migration 7).
    pub async fn support_access(
        &self,
        id: TenantId,
        access: Access,
    ) -> Result<SupportAccess, Error> {
        let access = Arc::new(access.checked(id)?);
        Ok(SupportAccess::new(
            self.route(id).await?,
            self.shared.clone(),
            access,
        ))
    }

    /// Audited access under the same terms to each of `tenants`, for reads
    /// across tenants (analytics, reports): one [`SupportAccess`] per
    /// tenant, each writing its own audit rows, each tenant's statements
    /// run in its own context (see [`AcrossTenants`]). Fails, with nothing
    /// run, if any tenant cannot be resolved.
    pub async fn across_tenants(
        &self,
        tenants: impl IntoIterator<Item = TenantId>,
        access: Access,
    ) -> Result<AcrossTenants, Error> {
        let mut handles = Vec::new();
        for id in tenants {
            handles.push(self.support_access(id, access.clone()).await?);
        }
        Ok(AcrossTenants::new(handles))
    }

    /// Where tenant `id`'s statements go: through the registry, or in a
    /// pool-only deployment to the main server's shared tables.
    async fn route(&self, id: TenantId) -> Result<Arc<Route>, Error> {
        Ok(match &self.shared.router {
            Some(router) => {
                router
                    .route(
                        &self.shared.servers,
                        &self.shared.config,
                        &self.shared.gates,
                        id,
                        &self.shared.telemetry,
                    )
                    .await?
            }
            None => Arc::new(Route::new(
                id,
                TenantIdentity::unregistered(id),
                Placement::Pool,
                self.shared.servers.main().clone(),
                self.shared.config.citus,
                &self.shared.telemetry,
                (&self.shared.gates, "", &LimitOverrides::default()),
            )),
        })
    }

    /// The handle of the tenant of `record`, where the record says it lives,
    /// without asking the registry whether it is served: for the operator,
    /// which seeds a tenant before it is active. Only a connection whose role
    /// does skip row-level security (allowed with
    /// [`Config::allow_privileged_role`]) gets one, so it reaches nothing its
    /// role could not read anyway; an application resolves tenants with
    /// [`Tenantry::tenant`].
    pub async fn tenant_at(&self, record: &TenantRecord) -> Result<Tenant, Error> {
        if !self.shared.privileged {
            return Err(Error::Config(
                "a handle bypassing the registry is for the operator's privileged connection"
                    .to_owned(),
            ));
        }
        let route = Route::new(
            record.id,
            TenantIdentity::of(record),
            record.placement.clone(),
            server_lookup::server(&self.shared.servers, &self.shared.config, &record.server)
                .await?,
            self.shared.config.is_citus(),
            &self.shared.telemetry,
            (&self.shared.gates, &record.plan, &record.limits),
        );
        Ok(Tenant::new(Arc::new(route), self.shared.clone()))
    }

    /// Connections open to server `name` now, across all its pools: a
    /// configured server, or one the registry records that this process
    /// has opened ([`Error::UnknownServer`] before its first use).
    pub fn open_connections(&self, server: &str) -> Result<usize, Error> {
        Ok(self.shared.servers.named(server)?.open_connections())
    }

    /// How many tenants the route cache holds (0 without the registry).
    pub fn cached_tenants(&self) -> usize {
        self.shared
            .router
            .as_ref()
            .map_or(0, |router| router.cached())
    }

    /// Every tenant's work over the usage window
    /// ([`TelemetryConfig::usage_window`](crate::telemetry::TelemetryConfig::usage_window)),
    /// the busiest (most time) first: statements, rows, errors, timeouts,
    /// rejections and time, counted in this process on every placement.
    pub fn usage(&self) -> Vec<TenantUsage> {
        self.shared.telemetry.usage()
    }

    /// The handle for global entities.
    pub fn global(&self) -> Global {
        Global::new(self.shared.clone())
    }
}

/// Closes connections that stayed unused past the idle timeout, for as long
/// as the `Tenantry` lives.
async fn close_idle_connections(shared: Weak<Shared>) {
    loop {
        let Some(period) = shared
            .upgrade()
            .map(|shared| shared.servers.main().idle_timeout() / 2)
        else {
            return;
        };
        tokio::time::sleep(period.max(Duration::from_millis(100))).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        for server in shared.servers.all() {
            server.close_idle(server.idle_timeout());
        }
    }
}

impl std::fmt::Debug for Tenantry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let servers: Vec<String> = self
            .shared
            .servers
            .all()
            .iter()
            .map(|server| server.name.clone())
            .collect();
        f.debug_struct("Tenantry")
            .field("servers", &servers)
            .field("registry", &self.shared.router.is_some())
            .finish_non_exhaustive()
    }
}
