//! The operator: the privileged side of tenantry that migrates, provisions
//! and lists tenants. It connects as a role that owns the schemas and may
//! create databases (the application's role must not).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tenantry_query::Identifier;
use tokio_postgres::Client;

use tenantry_postgres::contract::GLOBAL_SCHEMA;
use tenantry_postgres::{Config, ConnectOptions, MAIN_SERVER, TenantRecord, Tenantry};
use tokio::sync::OnceCell;

use crate::Error;
use crate::registry::{self, TenantRef};

/// The name of the template database kept on each server for new database tenants.
pub const TEMPLATE_DATABASE: &str = "tenantry_template";

/// Migrates, provisions and lists tenants, as a privileged role.
///
/// The role must be a superuser or have `BYPASSRLS` for data migrations
/// (`UPDATE`, `INSERT ... SELECT`, ...) on tables under row-level security:
/// `tenantry.isolate_table` forces it on the tables' owner too, so the
/// migrations run with `row_security` off, and a role that may not bypass the
/// policies gets an error ("query would be affected by row-level security
/// policy") rather than a migration that silently touches no row.
///
/// ```no_run
/// # async fn demo(migrations: tenantry_ops::Migrations) -> Result<(), tenantry_ops::Error> {
/// # use tenantry_ops::Operator;
/// # use tenantry_postgres::Config;
/// # use tenantry_ops::migrate::MigrateOptions;
/// let operator = Operator::new(Config::new("postgres://owner@localhost/saas")?)
///     .grant_to("app")?;
/// let report = operator.migrate(&migrations, MigrateOptions::default()).await?;
/// assert!(report.is_success());
/// # Ok(()) }
/// ```
pub struct Operator {
    config: Config,
    grant_to: Vec<Identifier>,
    shared_schema: Identifier,
    template: Identifier,
    fence_wait: Duration,
    erase_batch: i64,
    /// The runtime on the operator's own connections, opened on first use:
    /// how the operator works inside one tenant (seeding it).
    runtime: OnceCell<Tenantry>,
    /// Servers the registry records, as last read (see [`Operator::servers`]).
    pub(crate) registered: Mutex<HashMap<String, ConnectOptions>>,
}

/// How long a status change waits for a tenant's writing transactions by
/// default.
const DEFAULT_FENCE_WAIT: Duration = Duration::from_secs(10);

impl Operator {
    /// An operator connecting with `config`'s servers and credentials.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            grant_to: Vec::new(),
            shared_schema: Identifier::new(GLOBAL_SCHEMA).expect("a valid identifier"),
            template: Identifier::new(TEMPLATE_DATABASE).expect("a valid identifier"),
            fence_wait: DEFAULT_FENCE_WAIT,
            erase_batch: crate::purge::BATCH_ROWS,
            runtime: OnceCell::new(),
            registered: Mutex::default(),
        }
    }

    /// Grants the application `role` what it needs on every migrated schema:
    /// read and write on data tables, and the registry's lookup function
    /// (one tenant's row for its id) and whether it records any tenant, not
    /// the registry's tables.
    pub fn grant_to(mut self, role: &str) -> Result<Self, Error> {
        self.grant_to.push(Identifier::new(role)?);
        Ok(self)
    }

    /// The schema of global tables (default `shared`).
    pub fn shared_schema(mut self, schema: &str) -> Result<Self, Error> {
        self.shared_schema = Identifier::new(schema)?;
        Ok(self)
    }

    /// The template database kept on each server for new database tenants
    /// (default `tenantry_template`).
    pub fn template_database(mut self, name: &str) -> Result<Self, Error> {
        self.template = Identifier::new(name)?;
        Ok(self)
    }

    /// How long a status change (suspend, resume) waits for the tenant's
    /// transactions that have written to end (default 10 s); the tenant's
    /// new writes wait meanwhile. Past it the change fails with
    /// [`Error::FenceTimeout`] and nothing changes.
    pub fn fence_wait(mut self, wait: Duration) -> Self {
        self.fence_wait = wait;
        self
    }

    /// How many rows of a tenant one statement of an erasure (or of an
    /// abandoned provisioning) deletes from a shared table at most (default
    /// 10,000; at least 1): each batch commits on its own, so no lock is
    /// held long.
    pub fn erase_batch(mut self, rows: u32) -> Self {
        self.erase_batch = i64::from(rows.max(1));
        self
    }

    pub(crate) fn erase_batch_rows(&self) -> i64 {
        self.erase_batch
    }

    pub(crate) fn fence_wait_limit(&self) -> Duration {
        self.fence_wait
    }

    /// The schema of global tables, where the shared set is applied.
    pub(crate) fn shared_schema_name(&self) -> &Identifier {
        &self.shared_schema
    }

    /// The runtime on the operator's connections, opened on first use:
    /// privileged, and through the registry, which the operator always
    /// works with (its handles go where a registry row says, with
    /// `Tenantry::tenant_at`; a pool-only runtime would be refused once the
    /// registry records a tenant).
    pub(crate) async fn runtime(&self) -> Result<&Tenantry, Error> {
        let config = self.config.clone().registry().allow_privileged_role();
        Ok(self
            .runtime
            .get_or_try_init(|| Tenantry::connect(config))
            .await?)
    }

    /// The configuration the operator connects with.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn template(&self) -> &Identifier {
        &self.template
    }

    pub(crate) fn grant_roles(&self) -> &[Identifier] {
        &self.grant_to
    }

    /// A new connection to `database` on `server` (its own database if
    /// `None`), with the server's TLS settings.
    pub(crate) async fn connect(
        &self,
        server: &str,
        database: Option<&Identifier>,
    ) -> Result<Client, Error> {
        Ok(self
            .database_options(server, database)
            .await?
            .connect()
            .await?)
    }

    /// The registry row of `tenant`, by id or slug, with its migration state
    /// and last status change.
    pub async fn tenant(&self, tenant: impl Into<TenantRef>) -> Result<TenantRecord, Error> {
        let client = self.connect(MAIN_SERVER, None).await?;
        registry::find_tenant(&client, &tenant.into()).await
    }

    /// Every registered tenant.
    pub async fn tenants(&self) -> Result<Vec<TenantRecord>, Error> {
        let client = self.connect(MAIN_SERVER, None).await?;
        registry::list(&client).await
    }
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("servers", &self.configured_servers())
            .field("grant_to", &self.grant_to)
            .field("shared_schema", &self.shared_schema)
            .field("template", &self.template)
            .field("fence_wait", &self.fence_wait)
            .field("erase_batch", &self.erase_batch)
            .finish_non_exhaustive()
    }
}
