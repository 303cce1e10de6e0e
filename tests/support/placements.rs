//! Two servers with a tenant registry: the test setup for placements.
//!
//! The main server gets a test database; a second local cluster (created if
//! missing) gets one with the same name, as server `eu-1`. The operator (a
//! superuser here) migrates both; the application role, the same name on
//! both servers, connects through the registry. Every name this creates ends
//! with the test's suffix, so dropping the two test databases removes the
//! tenant databases and the template too.

#![allow(dead_code)]

use tenantry::ops::migrate::{MigrateOptions, MigrationSet};
use tenantry::ops::{Migrations, NewTenant, Operator, PlacementKind, Reason};
use tenantry::{Config, TenantId, TenantRecord, Tenantry};
use tokio_postgres::Client;

use super::database::TestDatabase;
use super::local_server::ensure_cluster;

pub use tenantry_test_support::servers::SECOND_PORT;

/// The name of the second server.
pub const SECOND: &str = "eu-1";

/// The global tables.
const SHARED: MigrationSet = tenantry::embed_migrations!("tests/migrations/shared");

/// The tenant-scoped tables, borrowed for the whole test (by name and SQL).
pub static TENANT: MigrationSet = TENANT_SET;

/// The tenant-scoped tables, as a constant, of which `MIGRATIONS` is made.
const TENANT_SET: MigrationSet = tenantry::embed_migrations!("tests/migrations/tenant");

/// Both sets: a constant, so that a test can swap one (`..MIGRATIONS`).
pub const MIGRATIONS: Migrations = Migrations {
    shared: SHARED,
    tenant: TENANT_SET,
};

/// A status change asked by the test suite, for `why`.
pub fn because(why: &str) -> Reason {
    Reason::new("test suite", why)
}

/// Two servers, migrated, with an operator and the application's settings.
pub struct World {
    pub main: TestDatabase,
    pub second: TestDatabase,
    pub operator: Operator,
}

impl World {
    /// Creates both test databases and applies every migration set.
    pub async fn create() -> Self {
        let main = TestDatabase::empty_on(super::database::main_port(), None).await;
        ensure_cluster("second", SECOND_PORT);
        let second = TestDatabase::empty_on(SECOND_PORT, Some(&main.suffix)).await;
        let operator = World::operator_for(&main, &second);
        let report = operator
            .migrate(&MIGRATIONS, MigrateOptions::default())
            .await
            .expect("migrate");
        assert!(report.is_success(), "migrations failed: {report:#?}");
        Self {
            main,
            second,
            operator,
        }
    }

    /// An operator for both servers (another runner, for concurrency tests).
    pub fn operator(&self) -> Operator {
        World::operator_for(&self.main, &self.second)
    }

    fn operator_for(main: &TestDatabase, second: &TestDatabase) -> Operator {
        let config = Config::new(&main.admin_url())
            .and_then(|config| config.server(SECOND, &second.admin_url()))
            .expect("operator config");
        Operator::new(config)
            .grant_to(&main.app_role)
            .and_then(|operator| operator.template_database(&format!("{}_template", main.name)))
            .expect("operator")
    }

    /// The application's settings: both servers, through the registry.
    pub fn app_config(&self) -> Config {
        Config::new(&self.main.app_url())
            .and_then(|config| config.server(SECOND, &self.second.app_url()))
            .expect("app config")
            .registry()
    }

    /// The application, connected.
    pub async fn connect(&self) -> Tenantry {
        Tenantry::connect(self.app_config())
            .await
            .expect("connect through the registry")
    }

    /// A slug unique to this test.
    pub fn slug(&self, name: &str) -> String {
        format!("t{}_{name}", self.main.suffix)
    }

    /// Provisions tenant `name` in `placement` on `server`.
    pub async fn provision(
        &self,
        name: &str,
        placement: PlacementKind,
        server: &str,
    ) -> TenantRecord {
        let tenant = NewTenant::new(&self.slug(name), placement).on_server(server);
        self.operator
            .provision(&tenant, &TENANT)
            .await
            .unwrap_or_else(|error| panic!("provision {name}: {error}"))
    }

    /// A superuser connection to `database` (the test database if `None`) on `server`.
    pub async fn admin(&self, server: &str, database: Option<&str>) -> Client {
        let host = if server == SECOND {
            &self.second
        } else {
            &self.main
        };
        match database {
            Some(database) => host.admin_of(database).await,
            None => host.admin().await,
        }
    }
}

/// Creates `count` schema tenants named `tenant_<prefix><n>` with every
/// tenant migration applied, registered active and resident in their
/// schema, their tables granted to `app_role`, in batches: what provisioning
/// does, in bulk.
pub async fn bulk_schema_tenants(
    admin: &Client,
    prefix: &str,
    count: usize,
    app_role: &str,
) -> Vec<TenantId> {
    let mut ids = Vec::with_capacity(count);
    for batch in (0..count).collect::<Vec<_>>().chunks(50) {
        let mut sql = String::from("BEGIN;");
        for n in batch {
            let id = TenantId::random();
            ids.push(id);
            let schema = format!("tenant_{prefix}{n}");
            sql.push_str(&format!(
                "CREATE SCHEMA {schema}; SET LOCAL search_path = {schema};"
            ));
            for migration in TENANT.migrations() {
                sql.push_str(migration.sql());
                sql.push_str(&format!(
                    ";INSERT INTO tenantry.migrations (target, set_name, version, name, checksum) VALUES ('{schema}', 'tenant', {}, '{}', '{}');",
                    migration.version(),
                    migration.name(),
                    migration.checksum()
                ));
            }
            sql.push_str(&format!(
                "INSERT INTO tenantry_control.tenants (id, slug, placement, server, schema_name, status) VALUES ('{id}', '{prefix}{n}', 'schema', 'main', '{schema}', 'active');
                 INSERT INTO tenantry.residents (tenant_id, schema_name, owns_schema, status) VALUES ('{id}', '{schema}', true, 'active');
                 GRANT USAGE ON SCHEMA {schema} TO {app_role};
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app_role};"
            ));
        }
        sql.push_str("COMMIT;");
        admin.batch_execute(&sql).await.expect("bulk tenants");
    }
    ids
}
