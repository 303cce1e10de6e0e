//! Connection settings, from code or from the environment.

use std::str::FromStr;
use std::time::Duration;

use crate::Error;

/// How tenantry connects to PostgreSQL.
///
/// ```
/// use std::time::Duration;
/// use tenantry_postgres::Config;
///
/// let config = Config::new("postgres://app@localhost/saas")
///     .unwrap()
///     .pool_size(32)
///     .wait_timeout(Duration::from_secs(2));
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) postgres: tokio_postgres::Config,
    pub(crate) pool_size: usize,
    pub(crate) wait_timeout: Duration,
    pub(crate) allow_privileged_role: bool,
    pub(crate) citus: bool,
}

impl Config {
    /// Settings for the database at `url` (`postgres://user:password@host:port/dbname`
    /// or the `key=value` form), with defaults: a pool of 16 connections and a
    /// 5 s wait for a free one.
    pub fn new(url: &str) -> Result<Self, Error> {
        let postgres = tokio_postgres::Config::from_str(url)
            .map_err(|error| Error::Config(format!("malformed database URL: {error}")))?;
        Ok(Self {
            postgres,
            pool_size: 16,
            wait_timeout: Duration::from_secs(5),
            allow_privileged_role: false,
            citus: false,
        })
    }

    /// Settings from the environment: `DATABASE_URL` (required),
    /// `TENANTRY_POOL_SIZE`, `TENANTRY_POOL_TIMEOUT_MS` and `TENANTRY_CITUS`
    /// (`true` on a Citus cluster).
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Settings from any name → value lookup (what [`Config::from_env`] reads).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let url = lookup("DATABASE_URL")
            .ok_or_else(|| Error::Config("DATABASE_URL is not set".to_owned()))?;
        let mut config = Self::new(&url)?;
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
