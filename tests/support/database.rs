//! A throwaway database and an ordinary application role for one test.
//!
//! Each `TestDatabase` creates its own database and its own login role
//! (neither superuser nor BYPASSRLS, so row-level security applies to it),
//! applies the test schema as the administrator, and drops both when dropped.
//! Tests can therefore run in parallel. Databases left behind by a test
//! process that was killed are dropped by the next run.

#![allow(dead_code)]

use tenantry::ops::Operator;
use tenantry::ops::migrate::MigrateOptions;
use tenantry::{Config, Tenantry};
use tenantry_test_support::servers::{connect, superuser_url};
pub use tenantry_test_support::servers::{main_port, url_for};
use tenantry_test_support::throwaway::Family;
use tokio_postgres::Client;

use super::placements::MIGRATIONS;

/// How these suites name their databases, roles and tenants' databases
/// (tenant slugs are `t<suffix>_<name>`).
const FAMILY: Family = Family {
    prefix: "tenantry_test_",
    tenant_databases: "tenant_t",
};

/// The tenant-scoped tables the test migrations create.
pub const SCOPED_TABLES: [&str; 3] = ["customers", "invoices", "events"];

/// A database and an application role that exist for one test, on one server.
pub struct TestDatabase {
    pub name: String,
    pub app_role: String,
    /// What makes this test's names unique (`<pid>_<n>`).
    pub suffix: String,
    /// The server's port.
    pub port: u16,
}

impl TestDatabase {
    /// A database migrated with the test migrations (the shared pool's
    /// tables under row-level security, global tables in `shared`), and an
    /// application role allowed to read and write them.
    pub async fn create() -> Self {
        let database = Self::empty_on(main_port(), None).await;
        let operator = Operator::new(Config::new(&database.admin_url()).expect("admin URL"))
            .grant_to(&database.app_role)
            .expect("role name");
        let report = operator
            .migrate(&MIGRATIONS, MigrateOptions::default())
            .await
            .expect("migrate the test database");
        assert!(report.is_success(), "test migrations failed: {report:#?}");
        database
    }

    /// A database with `schema`, row-level security on `scoped_tables`, and an
    /// application role allowed to read and write every table.
    pub async fn create_with(schema: &str, scoped_tables: &[&str]) -> Self {
        let database = Self::empty_on(main_port(), None).await;
        let client = database.admin().await;
        client
            .batch_execute(schema)
            .await
            .expect("apply test schema");
        for table in scoped_tables {
            tenantry::ops::rls::isolate_table(&client, None, table)
                .await
                .expect("isolate table");
        }
        client
            .batch_execute(&format!(
                "GRANT USAGE ON SCHEMA public TO {role};
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
                 DO $$ BEGIN
                     IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'shared') THEN
                         GRANT USAGE ON SCHEMA shared TO {role};
                         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA shared TO {role};
                     END IF;
                 END $$;",
                role = database.app_role
            ))
            .await
            .expect("grant the application role");
        database
    }

    /// An empty database and an application role on the server at `port`,
    /// named after `suffix` (a fresh one when `None`).
    pub async fn empty_on(port: u16, suffix: Option<&str>) -> Self {
        let names = match suffix {
            Some(suffix) => FAMILY.named(suffix),
            None => FAMILY.fresh(),
        };
        let admin = connect(&superuser_url(port, "postgres")).await;
        names.create_on(&admin).await;
        Self {
            name: names.database(),
            app_role: names.app_role(),
            suffix: names.suffix,
            port,
        }
    }

    /// The superuser's URL of this database.
    pub fn admin_url(&self) -> String {
        url_for(self.port, &self.name, "postgres")
    }

    /// A superuser connection to this database (row-level security does not apply).
    pub async fn admin(&self) -> Client {
        connect(&self.admin_url()).await
    }

    /// A superuser connection to another database of the same server.
    pub async fn admin_of(&self, database: &str) -> Client {
        connect(&url_for(self.port, database, "postgres")).await
    }

    /// A plain connection as the application role, with no tenant context.
    pub async fn app_client(&self) -> Client {
        connect(&self.app_url()).await
    }

    /// The application role's URL.
    pub fn app_url(&self) -> String {
        url_for(self.port, &self.name, &self.app_role)
    }

    /// Settings for the application role, pool-only: the tests' tenants are
    /// ids of their own in the shared tables, and the registry the
    /// operator's migrations make records none of them.
    pub fn app_config(&self) -> Config {
        Config::new(&self.app_url())
            .expect("app config")
            .pool_only()
    }

    /// Tenantry connected as the application role, on a single connection:
    /// each statement gets the connection the one before it used.
    pub async fn connect_single(&self) -> Tenantry {
        Tenantry::connect(self.app_config().pool_size(1))
            .await
            .expect("connect as the application role")
    }

    /// Tenantry connected as the application role.
    pub async fn connect(&self) -> Tenantry {
        Tenantry::connect(self.app_config())
            .await
            .expect("connect as the application role")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (port, names) = (self.port, FAMILY.named(&self.suffix));
        // Dropping needs its own runtime: the test's may be shutting down.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                names
                    .drop_from(&connect(&superuser_url(port, "postgres")).await)
                    .await;
            });
        })
        .join()
        .expect("cleanup thread");
    }
}
