//! Provisioning: one call creates a tenant in its placement, and completes
//! a call that crashed part-way when made again with the same slug (the
//! tenant keeps the id it was given then), or
//! [`Operator::abandon_provisioning`] removes what it made. A server that
//! cannot be reached fails the call before anything is written.
//!
//! The registry row comes first, in status `provisioning` (never served);
//! then the schema or database, the tenant migrations, the tenant's
//! residency in its placement (which fences its writes to that placement),
//! the seed (once: a marker is written in the seed's own transaction), and
//! last the status `active`. A database tenant is copied from the server's
//! template database, which is kept migrated, so it does not replay every
//! migration.
//! The schema version of what it migrated (the tenant's tables, and the
//! template) is recorded in the registry as a migration run records it; a
//! provisioning that fails is returned to its caller and leaves the tenant
//! `provisioning`, which the next migration run records like any target.

use std::future::Future;

use tenantry_query::{Identifier, TenantId};
use tokio_postgres::Client;
use tracing::Instrument;

use tenantry_postgres::contract::POOL_SCHEMA;
use tenantry_postgres::{MAIN_SERVER, Placement, TenantRecord, TenantStatus, TenantTransaction};

use crate::Error;
use crate::migrate::{
    MigrationSet, Outcome, SetKind, Target, TargetReport, applied_to, apply_pending, bootstrap,
    create_schema, grant, record_state,
};
use crate::operator::Operator;
pub use crate::placement_kind::PlacementKind;
use crate::provision_step::ProvisionStep;
use crate::registry::{self, TenantRef};
use crate::residency;
use crate::telemetry::{self, Process};
use crate::template::TemplateLock;
use tenantry_postgres::Error as RuntimeError;

/// The longest slug: it names the tenant's schema or database (`tenant_<slug>`).
const MAX_SLUG: usize = 40;

/// A tenant to create.
#[derive(Debug, Clone)]
pub struct NewTenant {
    /// Its id (random unless set).
    pub id: TenantId,
    /// Its unique slug: lower-case letters, digits and `_`, starting with a letter.
    pub slug: String,
    /// Its isolation model.
    pub placement: PlacementKind,
    /// The server it goes on (default `main`).
    pub server: String,
    /// Its plan or tier (default `standard`).
    pub plan: String,
}

impl NewTenant {
    /// A tenant with a random id on the main server, plan `standard`.
    pub fn new(slug: &str, placement: PlacementKind) -> Self {
        Self {
            id: TenantId::random(),
            slug: slug.to_owned(),
            placement,
            server: MAIN_SERVER.to_owned(),
            plan: "standard".to_owned(),
        }
    }

    /// Places the tenant on `server`.
    pub fn on_server(mut self, server: &str) -> Self {
        self.server = server.to_owned();
        self
    }

    /// Sets the tenant's id (to resume a provisioning that crashed, or to
    /// keep an id known elsewhere).
    pub fn with_id(mut self, id: TenantId) -> Self {
        self.id = id;
        self
    }

    /// Sets the plan.
    pub fn with_plan(mut self, plan: &str) -> Self {
        self.plan = plan.to_owned();
        self
    }

    /// Where the tenant goes: its own schema or database is named for its slug.
    pub(crate) fn placement(&self) -> Result<Placement, Error> {
        let slug = Identifier::new(&self.slug)?;
        if self.slug.len() > MAX_SLUG || !self.slug.as_bytes()[0].is_ascii_lowercase() {
            return Err(Error::from(tenantry_query::Error::InvalidIdentifier {
                name: self.slug.clone(),
                reason: "a slug starts with a letter and has at most 40 characters",
            }));
        }
        let own = || Identifier::new(&format!("tenant_{slug}"));
        Ok(match self.placement {
            PlacementKind::Pool => Placement::Pool,
            PlacementKind::Schema => Placement::Schema(own()?),
            PlacementKind::Database => Placement::Database(own()?),
        })
    }
}

/// Writes a new tenant's initial rows, once, with the builder: it gets a
/// transaction of the tenant (a [`TenantTransaction`], in the tenant's
/// context and placement, which commits with the seed's marker), whose
/// built statements reach only that tenant's rows. It runs as the
/// operator's role, which row-level security does not restrict: its
/// hand-written SQL is trusted as a migration is.
pub trait Seed: Sync {
    /// Seeds `tenant`, whose registry row is `record`.
    fn seed(
        &self,
        tenant: &TenantTransaction,
        record: &TenantRecord,
    ) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Whether the seed writes nothing ([`NoSeed`]): provisioning then
    /// opens no transaction in the tenant (nor the operator's runtime on
    /// every server).
    fn writes_nothing(&self) -> bool {
        false
    }
}

/// No seed.
#[derive(Debug, Clone, Copy)]
pub struct NoSeed;

impl Seed for NoSeed {
    async fn seed(&self, _: &TenantTransaction, _: &TenantRecord) -> Result<(), RuntimeError> {
        Ok(())
    }

    fn writes_nothing(&self) -> bool {
        true
    }
}

impl Operator {
    /// Creates `tenant` (see [`crate::provision`]) with the tenant migrations
    /// `migrations`, and returns its registry row, now active. A slug whose
    /// earlier provisioning died, in the same placement and server, is
    /// completed under the id it was given then.
    pub async fn provision(
        &self,
        tenant: &NewTenant,
        migrations: &MigrationSet,
    ) -> Result<TenantRecord, Error> {
        self.provision_with(tenant, migrations, &NoSeed).await
    }

    /// [`Operator::provision`], running `seed` once in the new tenant.
    pub async fn provision_with(
        &self,
        tenant: &NewTenant,
        migrations: &MigrationSet,
        seed: &impl Seed,
    ) -> Result<TenantRecord, Error> {
        self.provision_with_progress(tenant, migrations, seed, &|_| {})
            .await
    }

    /// [`Operator::provision_with`], calling `done` as each step ends (a
    /// tenant active already reports none).
    pub async fn provision_with_progress(
        &self,
        tenant: &NewTenant,
        migrations: &MigrationSet,
        seed: &impl Seed,
        done: &(dyn Fn(ProvisionStep) + Sync),
    ) -> Result<TenantRecord, Error> {
        let placement = tenant.placement()?;
        // An unknown server is refused before anything is written.
        self.server_config(&tenant.server).await?;
        let main = self.connect(MAIN_SERVER, None).await?;
        // An unreachable server fails the call before anything is written.
        let server = self.connect(&tenant.server, None).await?;
        let id = match registry::find_ref(&main, &TenantRef::Slug(tenant.slug.clone())).await? {
            Some(died)
                if died.status == TenantStatus::Provisioning
                    && died.placement == placement
                    && died.server == tenant.server =>
            {
                died.id
            }
            // An erased tenant's slug is its tombstone's for ever.
            Some(erased) if erased.status == TenantStatus::Erased => {
                return Err(RuntimeError::TenantErased { id: erased.id }.into());
            }
            _ => tenant.id,
        };
        let register = registry::register(
            &main,
            id,
            &tenant.slug,
            &placement,
            &tenant.server,
            &tenant.plan,
        );
        let record = Process::Provisioning.step(id, "register", register).await?;
        match record.status {
            TenantStatus::Active => return Ok(record),
            TenantStatus::Provisioning => {}
            status => {
                return Err(RuntimeError::not_serving(record.id, status).into());
            }
        }
        done(ProvisionStep::Registered);
        let mut migrated = Vec::new();
        if let Placement::Database(database) = &record.placement {
            let create = self.create_database(&record.server, database, migrations);
            migrated.extend(
                Process::Provisioning
                    .step(id, "create_database", create)
                    .await?,
            );
            done(ProvisionStep::DatabaseCreated);
        }
        let client = match record.placement.database() {
            None => server,
            Some(database) => self.connect(&record.server, Some(database)).await?,
        };
        if let Some(target) = Target::of_tenant(&record, &Identifier::new(POOL_SCHEMA)?) {
            let migrate = migrate_one(&client, &target, migrations, self.grant_roles());
            migrated.push(
                migrate
                    .instrument(telemetry::migration_target(&target))
                    .await?,
            );
        }
        record_state(&main, &migrated).await?;
        done(ProvisionStep::Migrated);
        // Its placement admits its writes from now on (the seed's first), while
        // the registry still serves it to no one.
        let resident = residency::record(
            &client,
            record.id,
            &record.placement,
            TenantStatus::Active,
            self.fence_wait_limit(),
        );
        Process::Provisioning
            .step(id, "residency", resident)
            .await?;
        done(ProvisionStep::Fenced);
        Process::Provisioning
            .step(id, "seed", self.seed_once(&record, seed))
            .await?;
        done(ProvisionStep::Seeded);
        let activate = registry::set_status(&main, record.id, TenantStatus::Active);
        Process::Provisioning.step(id, "activate", activate).await?;
        done(ProvisionStep::Active);
        registry::find(&main, record.id)
            .await?
            .ok_or(RuntimeError::UnknownTenant { id: record.id }.into())
    }

    /// Creates tenant database `database` on `server` as a copy of the
    /// server's template, after bringing the template up to date; the
    /// template's report, unless the database existed already.
    pub(crate) async fn create_database(
        &self,
        server: &str,
        database: &Identifier,
        migrations: &MigrationSet,
    ) -> Result<Option<TargetReport>, Error> {
        let admin = self.connect(server, None).await?;
        if database_exists(&admin, database.as_str()).await? {
            return Ok(None);
        }
        let lock = TemplateLock::acquire(admin).await?;
        let admin = lock.client();
        let created = async {
            let template = self.template().clone();
            if !database_exists(admin, template.as_str()).await? {
                admin
                    .batch_execute(&format!("CREATE DATABASE {}", template.quoted()))
                    .await?;
            }
            let migrated = {
                let client = self.connect(server, Some(&template)).await?;
                let target = Target {
                    set: SetKind::Tenant,
                    server: server.to_owned(),
                    database: Some(template.clone()),
                    schema: Identifier::new(POOL_SCHEMA)?,
                    tenant: None,
                };
                migrate_one(&client, &target, migrations, self.grant_roles()).await?
            };
            if !database_exists(admin, database.as_str()).await? {
                admin
                    .batch_execute(&format!(
                        "CREATE DATABASE {} TEMPLATE {}",
                        database.quoted(),
                        template.quoted()
                    ))
                    .await?;
            }
            Ok(Some(migrated))
        }
        .await;
        lock.release().await;
        created
    }
}

async fn database_exists(client: &Client, name: &str) -> Result<bool, Error> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
            &[&name],
        )
        .await?;
    Ok(row.get(0))
}

/// Brings one target up to date on `client`; its report, for the registry.
pub(crate) async fn migrate_one(
    client: &Client,
    target: &Target,
    migrations: &MigrationSet,
    grants: &[Identifier],
) -> Result<TargetReport, Error> {
    bootstrap(client).await?;
    create_schema(client, target).await?;
    let applied = applied_to(client, target, migrations).await?;
    if let Some(changed) = applied.changed.first() {
        return Err(Error::MigrationChanged {
            version: changed.version,
            name: changed.name.clone(),
        });
    }
    let versions = apply_pending(client, target, migrations, &applied.versions, grants)
        .await
        .map_err(|failure| failure.error)?;
    // A database copied from the template may need this operator's grants.
    grant(client, target, grants).await?;
    Ok(TargetReport::new(
        target.clone(),
        Outcome::applied(versions),
        applied,
    ))
}

impl Operator {
    /// Runs `seed` unless this tenant was seeded before, in one transaction
    /// of the tenant with the marker.
    async fn seed_once(&self, record: &TenantRecord, seed: &impl Seed) -> Result<(), Error> {
        if seed.writes_nothing() {
            return Ok(());
        }
        let tenant = self.runtime().await?.tenant_at(record).await?;
        let transaction = tenant.transaction().await?;
        let inserted = transaction
            .raw_execute(
                "INSERT INTO tenantry.seeded (tenant) VALUES ($1) ON CONFLICT DO NOTHING",
                &[&record.id.to_string()],
            )
            .await?;
        if inserted == 1 {
            seed.seed(&transaction, record).await?;
        }
        transaction.commit().await?;
        Ok(())
    }
}
