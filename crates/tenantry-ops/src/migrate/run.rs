//! A migration run over the whole deployment: the registry's own set, the
//! global tables, then the tenant set on every target, and what the run
//! records afterwards.

use tenantry_postgres::contract::{CONTROL_SCHEMA, POOL_SCHEMA};
use tenantry_postgres::{MAIN_SERVER, TenantStatus};
use tenantry_query::Identifier;

use super::CONTROL_MIGRATIONS;
use super::{
    MigrateOptions, MigrationReport, MigrationSet, SetKind, Target, TargetReport, fan_out,
    record_state,
};
use crate::Error;
use crate::operator::Operator;
use crate::registry;

/// The user's migration sets, embedded at compile time (cloned cheaply from
/// their statics) or read at run time ([`MigrationSet::load`]).
#[derive(Debug, Clone)]
pub struct Migrations {
    /// Global tables, applied to the shared schema of the main server.
    pub shared: MigrationSet,
    /// Tables of tenant-scoped entities, applied to every tenant target.
    pub tenant: MigrationSet,
}

impl Operator {
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
                main_target(SetKind::Shared, self.shared_schema_name()),
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

    /// Applies `migrations.tenant` to the targets of `server` alone (its
    /// pool tables, and its template if it has one), and records their
    /// state: how a server added at run time is made ready for tenants.
    pub(crate) async fn migrate_server(
        &self,
        server: &str,
        migrations: &Migrations,
        options: MigrateOptions,
    ) -> Result<MigrationReport, Error> {
        let targets = self.server_targets(server).await?;
        let mut report = MigrationReport::default();
        report
            .targets
            .extend(fan_out::run(self, &migrations.tenant, targets, options, &|_| {}).await);
        if !options.dry_run {
            let client = self.connect(MAIN_SERVER, None).await?;
            record_state(&client, &report.targets).await?;
        }
        Ok(report)
    }

    /// The targets of the tenant set on `server` itself: its pool tables,
    /// and its template if it has one.
    async fn server_targets(&self, server: &str) -> Result<Vec<Target>, Error> {
        let target = |database: Option<Identifier>| -> Result<Target, Error> {
            Ok(Target {
                set: SetKind::Tenant,
                server: server.to_owned(),
                database,
                schema: Identifier::new(POOL_SCHEMA)?,
                tenant: None,
            })
        };
        let mut targets = vec![target(None)?];
        if self.template_exists(server).await? {
            targets.push(target(Some(self.template().clone()))?);
        }
        Ok(targets)
    }

    /// Every target of the tenant set: the pool tables and the template of
    /// each server, and every tenant that is not erased.
    async fn tenant_targets(&self, dry_run: bool) -> Result<Vec<Target>, Error> {
        let public = Identifier::new(POOL_SCHEMA)?;
        let mut targets = Vec::new();
        for server in self.servers().await? {
            targets.extend(self.server_targets(&server).await?);
        }
        let client = self.connect(MAIN_SERVER, None).await?;
        let registered = if dry_run && !registry::exists(&client).await? {
            Vec::new()
        } else {
            registry::list(&client).await?
        };
        for tenant in registered {
            if tenant.status == TenantStatus::Erased {
                continue;
            }
            if let Some(target) = Target::of_tenant(&tenant, &public) {
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
                &[&self.template().as_str()],
            )
            .await?;
        Ok(row.get(0))
    }
}
