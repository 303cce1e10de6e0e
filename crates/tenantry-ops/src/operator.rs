//! The operator: the privileged side of tenantry that migrates, provisions
//! and lists tenants. It connects as a role that owns the schemas and may
//! create databases (the application's role must not).

use std::time::Duration;

use tenantry_query::Identifier;
use tokio_postgres::{Client, NoTls};

use tenantry_postgres::contract::{CONTROL_SCHEMA, POOL_SCHEMA};
use tenantry_postgres::{Config, MAIN_SERVER, Placement, TenantRecord, TenantStatus};

use crate::Error;
use crate::migrate::fan_out;
use crate::migrate::{
    MigrateOptions, MigrationReport, MigrationSet, SetKind, Target, TargetReport, record_state,
};
use crate::registry::{self, CONTROL_MIGRATIONS};
use tenantry_postgres::Error as RuntimeError;

/// The name of the template database kept on each server for new database tenants.
pub const TEMPLATE_DATABASE: &str = "tenantry_template";

/// The user's migration sets, embedded at compile time (cloned cheaply from
/// their statics) or read at run time ([`MigrationSet::load`]).
#[derive(Debug, Clone)]
pub struct Migrations {
    /// Global tables, applied to the shared schema of the main server.
    pub shared: MigrationSet,
    /// Tables of tenant-scoped entities, applied to every tenant target.
    pub tenant: MigrationSet,
}

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
/// use tenantry_ops::Operator;
/// use tenantry_postgres::Config;
/// use tenantry_ops::migrate::MigrateOptions;
///
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
            shared_schema: Identifier::new("shared").expect("a valid identifier"),
            template: Identifier::new(TEMPLATE_DATABASE).expect("a valid identifier"),
            fence_wait: DEFAULT_FENCE_WAIT,
        }
    }

    /// Grants the application `role` what it needs on every migrated schema:
    /// read and write on data tables, and the registry's lookup function
    /// (one tenant's row for its id), not the registry's tables.
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

    pub(crate) fn fence_wait_limit(&self) -> Duration {
        self.fence_wait
    }

    pub(crate) fn template(&self) -> &Identifier {
        &self.template
    }

    pub(crate) fn citus(&self) -> bool {
        self.config.is_citus()
    }

    pub(crate) fn grant_roles(&self) -> &[Identifier] {
        &self.grant_to
    }

    fn server_config(&self, server: &str) -> Result<&tokio_postgres::Config, Error> {
        self.config
            .all_servers()
            .find(|(name, _)| *name == server)
            .map(|(_, config)| config)
            .ok_or_else(|| {
                RuntimeError::UnknownServer {
                    name: server.to_owned(),
                }
                .into()
            })
    }

    /// The name of `server`'s own database (libpq's default: the user's name).
    pub(crate) fn database_name(&self, server: &str) -> Result<String, Error> {
        let config = self.server_config(server)?;
        Ok(config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or("postgres")
            .to_owned())
    }

    /// The names of every configured server, `main` first.
    pub fn servers(&self) -> Vec<String> {
        self.config
            .all_servers()
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    fn database_config(
        &self,
        server: &str,
        database: Option<&Identifier>,
    ) -> Result<tokio_postgres::Config, Error> {
        let mut config = self.server_config(server)?.clone();
        if let Some(database) = database {
            config.dbname(database.as_str());
        }
        Ok(config)
    }

    /// A new connection to `database` on `server` (its own database if `None`).
    pub(crate) async fn connect(
        &self,
        server: &str,
        database: Option<&Identifier>,
    ) -> Result<Client, Error> {
        let (client, connection) = self
            .database_config(server, database)?
            .connect(NoTls)
            .await?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Every registered tenant.
    pub async fn tenants(&self) -> Result<Vec<TenantRecord>, Error> {
        let client = self.connect(MAIN_SERVER, None).await?;
        registry::list(&client).await
    }

    /// Applies every set: the registry's own, `migrations.shared` to the
    /// shared schema, and `migrations.tenant` to the pool's tables on every
    /// server, each server's template database, and every tenant schema and
    /// database. See [`crate::migrate`].
    pub async fn migrate(
        &self,
        migrations: &Migrations,
        options: MigrateOptions,
    ) -> Result<MigrationReport, Error> {
        self.migrate_with_progress(migrations, options, &|_| {})
            .await
    }

    /// [`Operator::migrate`], calling `on_done` as each target finishes.
    ///
    /// Unless it is a dry run, each target's highest applied version and
    /// failure (or success, which clears the failure) are then recorded in
    /// the registry (see [`registry`](crate::registry)), in one statement on
    /// the main server; a run whose registry migrations failed records
    /// nothing. An error recording them is returned as this call's error.
    pub async fn migrate_with_progress(
        &self,
        migrations: &Migrations,
        options: MigrateOptions,
        on_done: &(dyn Fn(&TargetReport) + Sync),
    ) -> Result<MigrationReport, Error> {
        let report = self.run_every_set(migrations, options, on_done).await?;
        let registry_migrated = report
            .targets
            .iter()
            .any(|line| line.target.set == SetKind::Control && !line.outcome.is_error());
        if !options.dry_run && registry_migrated {
            let client = self.connect(MAIN_SERVER, None).await?;
            record_state(&client, &report.targets).await?;
        }
        Ok(report)
    }

    /// Runs the control set, the shared set, then (if both succeeded) the
    /// tenant set on its targets, and (if that succeeded too, and it is not
    /// a dry run) records the residency of tenants whose placement lacks it.
    async fn run_every_set(
        &self,
        migrations: &Migrations,
        options: MigrateOptions,
        on_done: &(dyn Fn(&TargetReport) + Sync),
    ) -> Result<MigrationReport, Error> {
        let mut report = MigrationReport::default();
        let main_target = |set, schema: &Identifier| Target {
            set,
            server: MAIN_SERVER.to_owned(),
            database: None,
            schema: schema.clone(),
            tenant: None,
        };
        let control_schema = Identifier::new(CONTROL_SCHEMA)?;
        for (set, target) in [
            (
                &CONTROL_MIGRATIONS,
                main_target(SetKind::Control, &control_schema),
            ),
            (
                &migrations.shared,
                main_target(SetKind::Shared, &self.shared_schema),
            ),
        ] {
            report
                .targets
                .extend(fan_out::run(self, set, vec![target], options, on_done).await);
        }
        if !report.is_success() {
            return Ok(report);
        }
        let targets = self.tenant_targets(options.dry_run).await?;
        report
            .targets
            .extend(fan_out::run(self, &migrations.tenant, targets, options, on_done).await);
        if report.is_success() && !options.dry_run {
            self.adopt_residents().await?;
        }
        Ok(report)
    }

    /// Every target of the tenant set: the pool tables and the template of
    /// each server, and every tenant that is not erased.
    async fn tenant_targets(&self, dry_run: bool) -> Result<Vec<Target>, Error> {
        let public = Identifier::new(POOL_SCHEMA)?;
        let template = self.template.clone();
        let mut targets = Vec::new();
        for server in self.servers() {
            let target = |database: Option<Identifier>| Target {
                set: SetKind::Tenant,
                server: server.clone(),
                database,
                schema: public.clone(),
                tenant: None,
            };
            targets.push(target(None));
            if self.template_exists(&server).await? {
                targets.push(target(Some(template.clone())));
            }
        }
        let client = self.connect(MAIN_SERVER, None).await?;
        let registered = if dry_run && !registry_exists(&client).await? {
            Vec::new()
        } else {
            registry::list(&client).await?
        };
        for tenant in registered {
            if tenant.status == TenantStatus::Erased {
                continue;
            }
            if let Some(target) = tenant_target(&tenant, &public) {
                targets.push(target);
            }
        }
        Ok(targets)
    }

    pub(crate) async fn template_exists(&self, server: &str) -> Result<bool, Error> {
        let client = self.connect(server, None).await?;
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                &[&self.template.as_str()],
            )
            .await?;
        Ok(row.get(0))
    }
}

/// The tenant set's target for a tenant in its own schema or database.
pub(crate) fn tenant_target(tenant: &TenantRecord, public: &Identifier) -> Option<Target> {
    let (database, schema) = match &tenant.placement {
        Placement::Pool => return None,
        Placement::Schema(schema) => (None, schema.clone()),
        Placement::Database(database) => (Some(database.clone()), public.clone()),
    };
    Some(Target {
        set: SetKind::Tenant,
        server: tenant.server.clone(),
        database,
        schema,
        tenant: Some(tenant.id),
    })
}

pub(crate) async fn registry_exists(client: &Client) -> Result<bool, Error> {
    let row = client
        .query_one(
            &format!("SELECT to_regclass('{CONTROL_SCHEMA}.tenants') IS NOT NULL"),
            &[],
        )
        .await?;
    Ok(row.get(0))
}
