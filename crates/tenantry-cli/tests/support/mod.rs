//! A throwaway deployment for one test: a database and an application role
//! on the main server (and on the second server when asked), a migrations
//! directory, and the `tenantry` binary run against them. Everything is
//! named after the process id and a counter, and dropped when the fixture is
//! dropped, also when the test fails. Leftovers of killed runs are dropped by
//! the next one.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use tenantry_ops::{NewTenant, Operator, PlacementKind};
use tenantry_postgres::{Config, TenantRecord};
use tenantry_test_support::servers::{SECOND_PORT, main_port, superuser_url};
use tenantry_test_support::throwaway::{Family, Throwaway};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls, Row};

/// The name of the second server, as passed to `--server`.
pub const SECOND: &str = "eu-1";

/// How these suites name their databases, roles and tenants' databases
/// (tenant slugs are `cli_<suffix>_<name>`).
const FAMILY: Family = Family {
    prefix: "tenantry_cli_",
    tenant_databases: "tenant_cli_",
};

/// The superuser's URL of `database` on the server at `port` (the main
/// server's if `None`).
fn url(port: Option<u16>, database: &str) -> String {
    superuser_url(port.unwrap_or_else(main_port), database)
}

/// `command` without the environment variables that would connect it.
fn without_connection_variables(command: &mut Command) -> &mut Command {
    command
        .env_remove("DATABASE_URL")
        .env_remove("TENANTRY_APP_ROLE")
}

/// What a run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn of(output: Output) -> Self {
        Self {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 errors"),
        }
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The standard output as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", self.stdout))
    }
}

/// One test's deployment.
pub struct Scratch {
    pub runtime: Runtime,
    /// The database, with the same name on every server.
    pub database: String,
    /// The application role, on every server.
    pub app_role: String,
    /// Each server's template database for database tenants.
    pub template: String,
    /// The ports of the servers the database exists on (`None`: main).
    ports: Vec<Option<u16>>,
    /// Whether the second server is given to the commands (`--server`).
    second_configured: bool,
    names: Throwaway,
    migrations: tempfile::TempDir,
}

impl Scratch {
    /// A database and a role on the main server, and an empty migrations directory.
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let names = FAMILY.fresh();
        let migrations = tempfile::tempdir().expect("migrations directory");
        for set in ["shared", "tenant"] {
            std::fs::create_dir(migrations.path().join(set)).expect("set directory");
        }
        let mut scratch = Self {
            runtime,
            database: names.database(),
            app_role: names.app_role(),
            template: format!("{}_template", names.database()),
            ports: Vec::new(),
            second_configured: false,
            names,
            migrations,
        };
        scratch.create_on(None);
        scratch
    }

    /// The same database and role on the second server too, given to every
    /// command as server `eu-1`.
    pub fn with_second_server(mut self) -> Self {
        self.create_on(Some(SECOND_PORT));
        self.second_configured = true;
        self
    }

    /// The same database and role on the second server, which no command
    /// is told of (for a server added to the registry).
    pub fn with_unconfigured_second_server(mut self) -> Self {
        self.create_on(Some(SECOND_PORT));
        self
    }

    fn create_on(&mut self, port: Option<u16>) {
        let admin = self.connect(&url(port, "postgres"));
        // Registered before creating, so a half-made setup is dropped too.
        self.ports.push(port);
        self.runtime.block_on(self.names.create_on(&admin));
    }

    fn connect(&self, url: &str) -> Client {
        let (client, connection) = self
            .runtime
            .block_on(tokio_postgres::connect(url, NoTls))
            .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"));
        self.runtime.spawn(connection);
        client
    }

    /// The operator's URL of the test database on the main server.
    pub fn url(&self) -> String {
        url(None, &self.database)
    }

    /// The operator's URL of the test database on the second server.
    pub fn second_url(&self) -> String {
        url(Some(SECOND_PORT), &self.database)
    }

    /// The migrations directory (`shared/` and `tenant/`).
    pub fn migrations(&self) -> &Path {
        self.migrations.path()
    }

    /// Writes migration `file` of `set` (`shared` or `tenant`).
    pub fn migration(&self, set: &str, file: &str, sql: &str) {
        std::fs::write(self.migrations.path().join(set).join(file), sql).expect("write migration");
    }

    /// Runs `tenantry` with the connection flags, then `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command(args).output().expect("run tenantry"))
    }

    /// Runs `tenantry` as [`Scratch::run`] does, with a terminal (made by
    /// `script`) for its standard output and error: what a person at a
    /// terminal sees, escape sequences and all, is in `stdout`.
    pub fn run_on_terminal(&self, args: &[&str]) -> Run {
        let command = self.command(args);
        let line: Vec<String> = std::iter::once(command.get_program())
            .chain(command.get_args())
            .map(|word| {
                let word = word.to_str().expect("UTF-8 argument");
                format!("'{}'", word.replace('\'', "'\\''"))
            })
            .collect();
        Run::of(
            without_connection_variables(&mut Command::new("script"))
                .args([
                    "--quiet",
                    "--return",
                    "--command",
                    &line.join(" "),
                    "/dev/null",
                ])
                .output()
                .expect("run tenantry under script"),
        )
    }

    /// The command running `tenantry` with the connection flags, then `args`.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tenantry"));
        without_connection_variables(&mut command)
            .args(["--database-url", &self.url()])
            .args(["--app-role", &self.app_role])
            .args(["--template-database", &self.template]);
        if self.second_configured {
            command.args(["--server", &format!("{SECOND}={}", self.second_url())]);
        }
        command.args(args);
        command
    }

    /// Runs `tenantry` with exactly `args`, and no connection settings.
    pub fn run_bare(args: &[&str]) -> Run {
        Run::of(
            without_connection_variables(&mut Command::new(env!("CARGO_BIN_EXE_tenantry")))
                .args(args)
                .output()
                .expect("run tenantry"),
        )
    }

    /// `tenantry migrate --migrations <dir>`, then `args`.
    pub fn migrate(&self, args: &[&str]) -> Run {
        let directory = self.migrations().to_str().expect("UTF-8 path").to_owned();
        let mut all = vec!["migrate", "--migrations", &directory];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// Runs `sql` as the superuser in the test database of the main server.
    pub fn query(&self, sql: &str) -> Vec<Row> {
        let client = self.connect(&self.url());
        self.runtime
            .block_on(client.query(sql, &[]))
            .unwrap_or_else(|error| panic!("{sql}: {error:?}"))
    }

    /// Runs `sql` as the superuser in the test database of the second server.
    pub fn query_second(&self, sql: &str) -> Vec<Row> {
        let client = self.connect(&self.second_url());
        self.runtime
            .block_on(client.query(sql, &[]))
            .unwrap_or_else(|error| panic!("{sql}: {error:?}"))
    }

    /// Runs `sql` as the superuser in `database` of the main server.
    pub fn query_in(&self, database: &str, sql: &str) -> Vec<Row> {
        let client = self.connect(&url(None, database));
        self.runtime
            .block_on(client.query(sql, &[]))
            .unwrap_or_else(|error| panic!("{sql}: {error:?}"))
    }

    /// The single boolean `sql` returns, in the main test database.
    pub fn check(&self, sql: &str) -> bool {
        self.query(sql)[0].get(0)
    }

    /// An operator like the binary's, through the library.
    pub fn operator(&self) -> Operator {
        let mut config = Config::new(&self.url()).expect("URL");
        if self.second_configured {
            config = config.server(SECOND, &self.second_url()).expect("server");
        }
        Operator::new(config)
            .grant_to(&self.app_role)
            .and_then(|operator| operator.template_database(&self.template))
            .expect("operator")
    }

    /// Provisions `tenant` through the library, with the directory's tenant migrations.
    pub fn provision(&self, tenant: NewTenant) -> TenantRecord {
        let tenant_set = self.tenant_set();
        self.runtime
            .block_on(self.operator().provision(&tenant, &tenant_set))
            .unwrap_or_else(|error| panic!("provision {}: {error}", tenant.slug))
    }

    /// A schema tenant on `server`.
    pub fn provision_schema(&self, slug: &str, server: &str) -> TenantRecord {
        self.provision(NewTenant::new(slug, PlacementKind::Schema).on_server(server))
    }

    /// A database tenant `name` on the main server, its slug (and database,
    /// `tenant_<slug>`) named after this deployment so that it is dropped with it.
    pub fn provision_database(&self, name: &str) -> TenantRecord {
        let slug = format!("{}_{name}", self.tenant_prefix());
        self.provision(NewTenant::new(&slug, PlacementKind::Database))
    }

    /// What this deployment's tenant slugs start with.
    fn tenant_prefix(&self) -> String {
        format!("cli_{}", self.names.suffix)
    }

    /// The directory's tenant set, read as the shipped binary reads it.
    fn tenant_set(&self) -> tenantry_ops::migrate::MigrationSet {
        tenantry_ops::migrate::MigrationSet::load(&self.migrations.path().join("tenant"))
            .expect("tenant migrations")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for port in self.ports.clone() {
            let Ok((admin, connection)) = self
                .runtime
                .block_on(tokio_postgres::connect(&url(port, "postgres"), NoTls))
            else {
                continue;
            };
            self.runtime.spawn(connection);
            self.runtime.block_on(self.names.drop_from(&admin));
        }
    }
}
