//! Connection settings, from code or from the environment.

use std::num::NonZeroUsize;
use std::str::FromStr;
use std::time::Duration;

use tenantry_query::TenantId;

use crate::Error;
use crate::limits::tier::Limits;
use crate::limits::tiers::Tiers;
use crate::options::{
    ConnectOptions, Credentials, CredentialsProvider, ServerCredentials, apply_environment,
};
use crate::routing::Routing;
use crate::telemetry::TelemetryConfig;

/// How tenantry connects to PostgreSQL.
///
/// ```
/// use std::time::Duration;
/// # use tenantry_postgres::Config;
///
/// let config = Config::new("postgres://app@localhost/saas")
///     .unwrap()
///     .pool_size(32)
///     .wait_timeout(Duration::from_secs(2));
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) postgres: ConnectOptions,
    pub(crate) servers: Vec<(String, ConnectOptions)>,
    pub(crate) pool_size: usize,
    pub(crate) database_pool_size: usize,
    pub(crate) connection_budget: Option<usize>,
    pub(crate) batch_connections: usize,
    pub(crate) wait_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) allow_privileged_role: bool,
    pub(crate) citus: bool,
    pub(crate) routing: Routing,
    pub(crate) registry_heartbeat: Duration,
    pub(crate) registry_listener: Option<ConnectOptions>,
    pub(crate) transaction_pooler: bool,
    pub(crate) statement_cache_size: NonZeroUsize,
    pub(crate) connection_lifetime: Duration,
    pub(crate) telemetry: TelemetryConfig,
    pub(crate) tiers: Tiers,
    pub(crate) server_credentials: CredentialsProvider,
}

/// Prepared statements kept per connection unless configured otherwise.
const DEFAULT_STATEMENT_CACHE_SIZE: NonZeroUsize = NonZeroUsize::new(256).expect("not zero");

/// The name of the server the configuration's URL points at.
pub const MAIN_SERVER: &str = "main";

impl Config {
    /// Settings for the database at `url`
    /// (`postgres://user:password@host:port/dbname?sslmode=verify-full` or
    /// the `key=value` form, with libpq's meaning: see [`ConnectOptions`]),
    /// the `main` server, with defaults: a pool of 16 connections and a 5 s
    /// wait for a free one.
    pub fn new(url: &str) -> Result<Self, Error> {
        Ok(Self::from_options(url.parse()?))
    }

    /// Settings for the main server's database as `options` give it (for
    /// TLS settings made in code), with the defaults of [`Config::new`].
    pub fn from_options(options: ConnectOptions) -> Self {
        Self {
            postgres: options,
            servers: Vec::new(),
            pool_size: 16,
            database_pool_size: 4,
            connection_budget: None,
            batch_connections: 4,
            wait_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
            allow_privileged_role: false,
            citus: false,
            routing: Routing::Unchosen,
            registry_heartbeat: Duration::from_secs(5),
            registry_listener: None,
            transaction_pooler: false,
            statement_cache_size: DEFAULT_STATEMENT_CACHE_SIZE,
            connection_lifetime: Duration::from_secs(30 * 60),
            telemetry: TelemetryConfig::default(),
            tiers: Tiers::default(),
            server_credentials: CredentialsProvider::default(),
        }
    }

    /// What spans, metrics and usage record (default:
    /// [`TelemetryConfig::default`]).
    pub fn telemetry(mut self, telemetry: TelemetryConfig) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// Adds another server by name (`eu-1`, `shard-2`): the URL of its own
    /// database, as the same application role. Tenants placed on it are
    /// routed there.
    pub fn server(self, name: &str, url: &str) -> Result<Self, Error> {
        self.server_options(name, url.parse()?)
    }

    /// Adds another server by name, as `options` give it (see
    /// [`Config::server`]).
    pub fn server_options(mut self, name: &str, options: ConnectOptions) -> Result<Self, Error> {
        if name == MAIN_SERVER || self.servers.iter().any(|(known, _)| known == name) {
            return Err(Error::Config(format!(
                "server {name:?} is configured twice"
            )));
        }
        self.servers.push((name.to_owned(), options));
        Ok(self)
    }

    /// Where the credentials of servers added to the registry at run time
    /// come from (default: [`EnvironmentCredentials`](crate::EnvironmentCredentials),
    /// falling back to the main server's role and password). A configured
    /// server ([`Config::server`]) of the same name is used instead of the
    /// registry's.
    pub fn server_credentials(mut self, provider: impl ServerCredentials) -> Self {
        self.server_credentials = CredentialsProvider(std::sync::Arc::new(provider));
        self
    }

    /// The settings of server `name`, which the registry records at `url`
    /// (without credentials): completed with this configuration's
    /// credentials provider and, unless `url` names its own, the main
    /// server's TLS settings.
    pub async fn registered_server(&self, name: &str, url: &str) -> Result<ConnectOptions, Error> {
        let credentials: Credentials = self.server_credentials.0.credentials(name).await?;
        ConnectOptions::registered(url, &self.postgres, credentials)
    }

    /// Routes tenants through the tenant registry (the `tenantry_control`
    /// schema on the main server): each tenant in its own placement, unknown
    /// and inactive tenants refused. [`Tenantry::connect`](crate::Tenantry::connect)
    /// fails with [`Error::NoRegistry`] if the main database has none.
    /// Without a choice ([`Config::pool_only`] or this), `connect` routes
    /// through the registry if the main database has one, and fails with
    /// [`Error::RoutingNotChosen`] if it has none.
    pub fn registry(mut self) -> Self {
        self.routing = Routing::Registry;
        self
    }

    /// Declares a pool-only deployment: every tenant is in the main server's
    /// shared tables, and any id is a tenant (none is refused as unknown).
    /// [`Tenantry::connect`](crate::Tenantry::connect) fails with
    /// [`Error::RegistryInUse`] if the main database's registry records any
    /// tenant (an operator's migrations make an empty one): a registered
    /// tenant may live elsewhere, and would be served from the shared
    /// tables. Checked when connecting: a pool-only process does not see a
    /// tenant registered later, so a deployment that starts registering
    /// tenants routes through the registry first.
    pub fn pool_only(mut self) -> Self {
        self.routing = Routing::PoolOnly;
        self
    }

    /// How often the connection that listens for registry changes is checked
    /// (default 5 s). One that does not answer within this interval (a dead
    /// network path that no error reports) is replaced; until a new one
    /// listens, every lookup reads the registry instead of the cache.
    pub fn registry_heartbeat(mut self, interval: Duration) -> Self {
        self.registry_heartbeat = interval;
        self
    }

    /// Where the connection that listens for registry changes goes (default:
    /// the main server's URL). Behind a transaction-mode pooler, which does
    /// not deliver notifications, it must be a direct connection to the main
    /// server: [`Tenantry::connect`](crate::Tenantry::connect) refuses the
    /// registry with [`Config::transaction_pooler`] otherwise.
    pub fn registry_listener(mut self, url: &str) -> Result<Self, Error> {
        self.registry_listener = Some(url.parse()?);
        Ok(self)
    }

    /// The settings of the registry listener's connection.
    pub(crate) fn listener(&self) -> &ConnectOptions {
        self.registry_listener.as_ref().unwrap_or(&self.postgres)
    }

    /// Declares that the servers are reached through a transaction-mode
    /// pooler that does not track prepared statements (PgBouncer before
    /// 1.21): statements are then prepared inside their own transaction every
    /// time, never cached, at the cost of a second round trip. The tenant
    /// context is transaction-local either way.
    pub fn transaction_pooler(mut self) -> Self {
        self.transaction_pooler = true;
        self
    }

    /// The most prepared statements each connection keeps (default 256, at
    /// least 1). The least recently used one is deallocated on the server
    /// when the cache is full: schema tenants' statements name their schema,
    /// so without a bound every tenant and statement shape would hold server
    /// memory on every connection. Behind a transaction-mode pooler nothing
    /// is cached.
    pub fn statement_cache_size(mut self, size: usize) -> Self {
        self.statement_cache_size = NonZeroUsize::new(size).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// How long a pooled connection is lent out before it is closed and
    /// replaced (default 30 minutes). A server session keeps caches of every
    /// table and statement it has used: one connection serving thousands of
    /// schema tenants grows by each schema's tables, and only a new session
    /// starts afresh.
    pub fn connection_lifetime(mut self, lifetime: Duration) -> Self {
        self.connection_lifetime = lifetime;
        self
    }

    /// The statement cache of each connection: `None` behind a
    /// transaction-mode pooler, where statements are not cached.
    pub(crate) fn statement_cache(&self) -> Option<NonZeroUsize> {
        (!self.transaction_pooler).then_some(self.statement_cache_size)
    }

    /// The most connections each tenant database's pool opens (default 4).
    pub fn database_pool_size(mut self, size: usize) -> Self {
        self.database_pool_size = size.max(1);
        self
    }

    /// The most connections open to each server, across its own pool and every
    /// tenant database pool on it (default: four times the pool size). When it
    /// is reached, idle connections of other pools are closed, then calls wait
    /// up to the wait timeout, then fail with [`Error::PoolTimeout`].
    pub fn connection_budget(mut self, budget: usize) -> Self {
        self.connection_budget = Some(budget.max(1));
        self
    }

    /// The connections each server keeps for batch work
    /// ([`Tenant::batch`](crate::Tenant::batch)), beside its
    /// [connection budget](Config::connection_budget) (default 4, at least
    /// 1): batch statements take only these, in pools of their own, and wait
    /// for one of them (up to the wait timeout) when all are busy, so
    /// exports and imports never take a connection from requests.
    pub fn batch_connections(mut self, connections: usize) -> Self {
        self.batch_connections = connections.max(1);
        self
    }

    /// How long an unused connection stays open (default 60 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Every server's name and connection settings: `main` first, then the
    /// others in the order added (what the operator connects to).
    pub fn all_servers(&self) -> impl Iterator<Item = (&str, &ConnectOptions)> {
        std::iter::once((MAIN_SERVER, &self.postgres)).chain(
            self.servers
                .iter()
                .map(|(name, config)| (name.as_str(), config)),
        )
    }

    /// Whether the servers are a Citus cluster (see [`Config::citus`]).
    pub fn is_citus(&self) -> bool {
        self.citus
    }

    /// The per-server connection budget in force.
    pub(crate) fn budget(&self) -> usize {
        self.connection_budget
            .unwrap_or(self.pool_size * 4)
            .max(self.pool_size)
    }

    /// Settings from the environment: `DATABASE_URL`, with libpq's
    /// variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
    /// `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`, ...) for what it
    /// leaves out (one of `DATABASE_URL` and `PGHOST` is required; a URL
    /// that names a host gives it its port, 5432 unless written, where libpq
    /// would take `PGPORT`),
    /// `TENANTRY_POOL_SIZE`, `TENANTRY_POOL_TIMEOUT_MS`, `TENANTRY_CITUS`
    /// (`true` on a Citus cluster), `TENANTRY_ROUTING` (`registry` or
    /// `pool-only`: [`Config::registry`], [`Config::pool_only`]; the older
    /// `TENANTRY_REGISTRY=true|false` says the same), `TENANTRY_TRANSACTION_POOLER` (`true` behind a
    /// transaction-mode pooler), `TENANTRY_REGISTRY_LISTENER_URL` and
    /// `TENANTRY_STATEMENT_CACHE_SIZE`.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings from any name → value lookup (what [`Config::from_env`] reads).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let url = lookup("DATABASE_URL")
            .or_else(|| lookup("PGHOST").map(|_| String::new()))
            .ok_or_else(|| Error::Config("neither DATABASE_URL nor PGHOST is set".to_owned()))?;
        let mut config = Self::from_options(apply_environment(&url, &lookup)?);
        if let Some(size) = lookup("TENANTRY_POOL_SIZE") {
            config.pool_size = parse_setting("TENANTRY_POOL_SIZE", &size)?;
        }
        if let Some(millis) = lookup("TENANTRY_POOL_TIMEOUT_MS") {
            config.wait_timeout =
                Duration::from_millis(parse_setting("TENANTRY_POOL_TIMEOUT_MS", &millis)?);
        }
        if let Some(citus) = lookup("TENANTRY_CITUS") {
            config.citus = parse_setting("TENANTRY_CITUS", &citus)?;
        }
        if let Some(registry) = lookup("TENANTRY_REGISTRY") {
            config.routing = match parse_setting("TENANTRY_REGISTRY", &registry)? {
                true => Routing::Registry,
                false => Routing::PoolOnly,
            };
        }
        if let Some(routing) = lookup("TENANTRY_ROUTING") {
            let routing = parse_setting("TENANTRY_ROUTING", &routing)?;
            if config.routing != Routing::Unchosen && config.routing != routing {
                return Err(Error::Config(
                    "TENANTRY_ROUTING and TENANTRY_REGISTRY disagree".to_owned(),
                ));
            }
            config.routing = routing;
        }
        if let Some(pooler) = lookup("TENANTRY_TRANSACTION_POOLER") {
            config.transaction_pooler = parse_setting("TENANTRY_TRANSACTION_POOLER", &pooler)?;
        }
        if let Some(size) = lookup("TENANTRY_STATEMENT_CACHE_SIZE") {
            let size: usize = parse_setting("TENANTRY_STATEMENT_CACHE_SIZE", &size)?;
            config = config.statement_cache_size(size);
        }
        if let Some(url) = lookup("TENANTRY_REGISTRY_LISTENER_URL") {
            config = config.registry_listener(&url)?;
        }
        Ok(config)
    }

    /// The most connections the pool opens.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long a call waits for a free connection before [`Error::PoolTimeout`].
    pub fn wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// Allows connecting as a superuser or BYPASSRLS role, which row-level
    /// security does not restrict. Only for tools that need it (migrations,
    /// tests of the refusal itself); never for the application.
    pub fn allow_privileged_role(mut self) -> Self {
        self.allow_privileged_role = true;
        self
    }

    /// Declares a Citus cluster: the tenant setting is then propagated to the
    /// workers (`citus.propagate_set_commands = 'local'`).
    pub fn citus(mut self, citus: bool) -> Self {
        self.citus = citus;
        self
    }

    /// The limits of the tenants of tier `tier` (their registry `plan`:
    /// `free`, `pro`, `enterprise` or any other name).
    ///
    /// ```
    /// use std::time::Duration;
    /// # use tenantry_postgres::{Config, Limits};
    ///
    /// let config = Config::new("postgres://app@localhost/saas")
    ///     .unwrap()
    ///     .tier("free", Limits::default().statement_timeout(Duration::from_secs(5)))
    ///     .tier("enterprise", Limits::default().statement_timeout(Duration::from_secs(60)));
    /// # let _ = config;
    /// ```
    pub fn tier(mut self, tier: &str, limits: Limits) -> Self {
        self.tiers.by_tier.insert(tier.to_owned(), limits);
        self
    }

    /// The limits of tenant `id`, in place of its tier's.
    pub fn tenant_limits(mut self, id: TenantId, limits: Limits) -> Self {
        self.tiers.by_tenant.insert(id, limits);
        self
    }

    /// The limits of tenants whose tier has none configured (default:
    /// unlimited), and of every tenant in a pool-only deployment.
    pub fn default_limits(mut self, limits: Limits) -> Self {
        self.tiers.otherwise = limits;
        self
    }

    /// The role the configuration connects as.
    pub fn user(&self) -> Option<&str> {
        self.postgres.get_user()
    }
}

fn parse_setting<T: FromStr>(name: &str, value: &str) -> Result<T, Error>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|error| Error::Config(format!("{name}={value:?}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn reads_every_setting_from_the_environment() {
        let config = from(&[
            ("DATABASE_URL", "postgres://app@db.internal/saas"),
            ("TENANTRY_POOL_SIZE", "32"),
            ("TENANTRY_POOL_TIMEOUT_MS", "250"),
            ("TENANTRY_CITUS", "true"),
            ("TENANTRY_REGISTRY", "true"),
            ("TENANTRY_TRANSACTION_POOLER", "true"),
            (
                "TENANTRY_REGISTRY_LISTENER_URL",
                "postgres://app@primary.internal/saas",
            ),
        ])
        .unwrap();
        assert_eq!(config.user(), Some("app"));
        assert_eq!(config.pool_size, 32);
        assert_eq!(config.wait_timeout, Duration::from_millis(250));
        assert!(config.citus && config.transaction_pooler);
        assert_eq!(config.routing, Routing::Registry);
        assert_eq!(
            config.listener().driver().get_hosts(),
            [tokio_postgres::config::Host::Tcp(
                "primary.internal".to_owned()
            )]
        );
        let defaults = from(&[("DATABASE_URL", "postgres://app@db.internal/saas")]).unwrap();
        assert!(!defaults.transaction_pooler);
        assert_eq!(defaults.routing, Routing::Unchosen);
        assert_eq!(
            defaults.listener().driver().get_hosts(),
            config.postgres.driver().get_hosts()
        );
    }

    #[test]
    fn the_routing_is_read_from_either_setting() {
        let url = ("DATABASE_URL", "postgres://app@db.internal/saas");
        let cases: [(&[(&str, &str)], Routing); 5] = [
            (&[url, ("TENANTRY_ROUTING", "registry")], Routing::Registry),
            (&[url, ("TENANTRY_ROUTING", "pool-only")], Routing::PoolOnly),
            (&[url, ("TENANTRY_REGISTRY", "true")], Routing::Registry),
            (&[url, ("TENANTRY_REGISTRY", "false")], Routing::PoolOnly),
            (
                &[
                    url,
                    ("TENANTRY_REGISTRY", "false"),
                    ("TENANTRY_ROUTING", "pool-only"),
                ],
                Routing::PoolOnly,
            ),
        ];
        for (pairs, routing) in cases {
            assert_eq!(from(pairs).unwrap().routing, routing, "{pairs:?}");
        }
    }

    #[test]
    fn a_missing_or_malformed_setting_is_a_config_error() {
        let url = ("DATABASE_URL", "postgres://app@db.internal/saas");
        let cases: [&[(&str, &str)]; 6] = [
            &[],
            &[url, ("TENANTRY_POOL_SIZE", "many")],
            &[url, ("TENANTRY_REGISTRY", "yes please")],
            &[url, ("TENANTRY_ROUTING", "pool")],
            &[
                url,
                ("TENANTRY_REGISTRY", "true"),
                ("TENANTRY_ROUTING", "pool-only"),
            ],
            &[
                url,
                ("TENANTRY_REGISTRY_LISTENER_URL", "postgres://app@db:x/saas"),
            ],
        ];
        for pairs in cases {
            assert!(matches!(from(pairs), Err(Error::Config(_))), "{pairs:?}");
        }
    }
}
