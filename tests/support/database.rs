//! A throwaway database and an ordinary application role for one test.
//!
//! Each `TestDatabase` creates its own database and its own login role
//! (neither superuser nor BYPASSRLS, so row-level security applies to it),
//! applies the test schema as the administrator, and drops both when dropped.
//! Tests can therefore run in parallel. Databases left behind by a test
//! process that was killed are dropped by the next run.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use tenantry::ops::Operator;
use tenantry::ops::migrate::MigrateOptions;
use tenantry::{Config, Tenantry};
use tokio_postgres::{Client, NoTls};

use super::placements::MIGRATIONS;

/// The administrator connection; override with `TENANTRY_TEST_ADMIN_URL`.
pub fn admin_url() -> String {
    std::env::var("TENANTRY_TEST_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

const PREFIX: &str = "tenantry_test_";

static NEXT: AtomicUsize = AtomicUsize::new(0);

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

async fn connect(url: &str) -> Client {
    ensure_server(url);
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"));
    tokio::spawn(connection);
    client
}

/// Starts the local server behind `url` if it is down.
fn ensure_server(url: &str) {
    let config: tokio_postgres::Config = url.parse().expect("database URL");
    if let Some(tokio_postgres::config::Host::Tcp(host)) = config.get_hosts().first() {
        let port = config.get_ports().first().copied().unwrap_or(5432);
        super::local_server::ensure_running(&format!("{host}:{port}"));
    }
}

/// The URL of `database` on the server at `port`, as `user`.
pub fn url_for(port: u16, database: &str, user: &str) -> String {
    let config: tokio_postgres::Config = admin_url().parse().expect("admin URL");
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    format!("postgres://{user}@{host}:{port}/{database}")
}

/// The port of the main test server.
pub fn main_port() -> u16 {
    let config: tokio_postgres::Config = admin_url().parse().expect("admin URL");
    config.get_ports().first().copied().unwrap_or(5432)
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
        let admin = connect(&url_for(port, "postgres", "postgres")).await;
        drop_abandoned(&admin).await;
        let suffix = suffix.map(str::to_owned).unwrap_or_else(|| {
            format!(
                "{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            )
        });
        let database = Self {
            name: format!("{PREFIX}{suffix}"),
            app_role: format!("{PREFIX}app_{suffix}"),
            suffix,
            port,
        };
        for statement in [
            format!(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS",
                database.app_role
            ),
            format!("CREATE DATABASE {}", database.name),
        ] {
            admin
                .batch_execute(&statement)
                .await
                .expect("create test database and role");
        }
        database
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

    /// Settings for the application role.
    pub fn app_config(&self) -> Config {
        Config::new(&self.app_url()).expect("app config")
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
        let (port, suffix, role) = (self.port, self.suffix.clone(), self.app_role.clone());
        // Dropping needs its own runtime: the test's may be shutting down.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async {
                let admin = connect(&url_for(port, "postgres", "postgres")).await;
                drop_test_objects(&admin, &suffix, &role).await;
            });
        })
        .join()
        .expect("cleanup thread");
    }
}

/// Drops every database named after `suffix` (the test database, its
/// template, its tenants' databases) and the role.
async fn drop_test_objects(admin: &Client, suffix: &str, role: &str) {
    let escaped = suffix.replace('_', "\\_");
    let databases = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2 OR datname LIKE $3",
            &[
                &format!("{PREFIX}{suffix}"),
                &format!("tenantry\\_test\\_{escaped}\\_%"),
                &format!("tenant\\_t{escaped}\\_%"),
            ],
        )
        .await
        .map(|rows| rows.iter().map(|row| row.get::<_, String>(0)).collect())
        .unwrap_or_else(|_| Vec::new());
    for database in databases {
        let _ = admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .await;
    }
    let _ = admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {role}"))
        .await;
}

/// Drops test databases and roles whose test process no longer runs.
async fn drop_abandoned(admin: &Client) {
    let rows = admin
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'tenantry\\_test\\_%'",
            &[],
        )
        .await
        .expect("list test databases");
    for row in rows {
        let name: String = row.get(0);
        let mut parts = name.trim_start_matches(PREFIX).split('_');
        let (Some(pid), Some(n)) = (parts.next(), parts.next()) else {
            continue;
        };
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let suffix = format!("{pid}_{n}");
            drop_test_objects(admin, &suffix, &format!("{PREFIX}app_{suffix}")).await;
        }
    }
}
