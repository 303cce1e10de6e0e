//! A migrated Citus deployment: the operator's registry on the coordinator,
//! the tenant tables distributed by `tenant_id` and co-located, the plans a
//! reference table, and tenants provisioned through the registry; the
//! application role runs as Citus mode would in production, with
//! multi-shard queries made errors for it, so that every statement it runs
//! must be router-executed on one shard.

use tenantry::ops::migrate::{MigrateOptions, MigrationSet};
use tenantry::ops::{Migrations, NewTenant, Operator, PlacementKind};
use tenantry::{Config, Tenant, TenantRecord, Tenantry};

use super::fixture::CitusDatabase;

/// The tenant-scoped tables, distributed and co-located.
pub static TENANT: MigrationSet = TENANT_SET;

const TENANT_SET: MigrationSet = tenantry::embed_migrations!("tests/migrations/citus/tenant");

/// Both sets; the plans are a reference table.
pub const MIGRATIONS: Migrations = Migrations {
    shared: tenantry::embed_migrations!("tests/migrations/citus/shared"),
    tenant: TENANT_SET,
};

/// A migrated database on the cluster and its operator.
pub struct Deployment {
    pub database: CitusDatabase,
    pub operator: Operator,
}

impl Deployment {
    /// Migrates a fresh database, or `None` when no cluster is configured.
    pub async fn create() -> Option<Self> {
        let database = CitusDatabase::create().await?;
        let operator = Operator::new(
            Config::new(&database.admin_url())
                .expect("operator config")
                .citus(true),
        )
        .grant_to(&database.names.app_role())
        .expect("role name");
        let report = operator
            .migrate(&MIGRATIONS, MigrateOptions::default())
            .await
            .expect("migrate on Citus");
        assert!(report.is_success(), "migrations failed: {report:#?}");
        database
            .admin()
            .await
            .batch_execute(&format!(
                "ALTER ROLE {} IN DATABASE {} SET citus.multi_task_query_log_level = error",
                database.names.app_role(),
                database.names.database()
            ))
            .await
            .expect("multi-shard queries are errors for the application");
        Some(Self { database, operator })
    }

    /// Provisions a tenant called `name` in `placement`.
    pub async fn provision(&self, name: &str, placement: PlacementKind) -> TenantRecord {
        let slug = format!("c{}_{name}", self.database.names.suffix);
        self.operator
            .provision(&NewTenant::new(&slug, placement), &TENANT)
            .await
            .unwrap_or_else(|error| panic!("provision {name}: {error}"))
    }

    /// The application in Citus mode, routed by the registry.
    pub async fn connect(&self) -> Tenantry {
        Tenantry::connect(self.database.app_config().registry())
            .await
            .expect("connect to the coordinator")
    }

    /// The application in Citus mode, through a relay on `port` in front of
    /// the coordinator.
    pub async fn connect_through(&self, port: u16) -> Tenantry {
        let url = self.database.app_url().replace(
            &format!(":{}/", self.database.cluster.coordinator.port),
            &format!(":{port}/"),
        );
        let config = Config::new(&format!("{url}?sslmode=disable"))
            .expect("relay config")
            .citus(true)
            .registry();
        Tenantry::connect(config)
            .await
            .expect("connect through the relay")
    }

    /// Pool tenants called `names`, and their handles.
    pub async fn pool_tenants(&self, db: &Tenantry, names: &[&str]) -> Vec<Tenant> {
        let mut handles = Vec::new();
        for name in names {
            let record = self.provision(name, PlacementKind::Pool).await;
            handles.push(db.tenant(record.id).await.expect("route the tenant"));
        }
        handles
    }
}
