//! `Tenantry`: the connected library, from which tenant and global handles come.

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tenantry_query::TenantId;
use tokio_postgres::NoTls;

use crate::global::Global;
use crate::role::check_role;
use crate::shared::Shared;
use crate::tenant::Tenant;
use crate::{Config, Error};

/// A connection pool to one PostgreSQL database, and the entry point for
/// every handle.
///
/// ```no_run
/// # async fn demo() -> Result<(), tenantry_postgres::Error> {
/// use tenantry_postgres::{Config, Tenantry};
///
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
    /// Opens the pool and checks, on a first connection, that the role is
    /// neither superuser nor BYPASSRLS (unless the configuration allows it).
    pub async fn connect(config: Config) -> Result<Self, Error> {
        let manager = Manager::from_config(
            config.postgres.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size)
            .wait_timeout(Some(config.wait_timeout))
            .create_timeout(Some(config.wait_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|error| Error::Config(error.to_string()))?;
        let shared = Arc::new(Shared { pool, config });
        let lease = shared.lease().await?;
        check_role(lease.client(), shared.config.allow_privileged_role).await?;
        drop(lease);
        Ok(Self { shared })
    }

    /// The handle of tenant `id`, whose rows live in the shared tables.
    pub async fn tenant(&self, id: TenantId) -> Result<Tenant, Error> {
        Ok(Tenant::new(self.shared.clone(), id))
    }

    /// The handle for global entities.
    pub fn global(&self) -> Global {
        Global::new(self.shared.clone())
    }

    /// How many connections the pool holds now, and how many are idle.
    pub fn pool_status(&self) -> PoolStatus {
        let status = self.shared.pool.status();
        PoolStatus {
            open: status.size,
            idle: status.available,
            max: status.max_size,
        }
    }
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open.
    pub open: usize,
    /// Connections open and idle.
    pub idle: usize,
    /// The most connections the pool opens.
    pub max: usize,
}
