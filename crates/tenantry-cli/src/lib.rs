//! The `tenantry` command line: migrate every tenant target, list the
//! tenant registry and run each tenant's life (provision, suspend, resume,
//! erase, abandon), verify tenant isolation in the catalog, and list and
//! check the audit log of support access.
//!
//! The shipped `tenantry` binary reads migrations from a directory when it
//! runs. A project that embeds its migrations builds its own binary:
//!
//! ```no_run
//! # use tenantry_ops::Migrations;
//! # use tenantry_ops::migrate::MigrationSet;
//! // use tenantry::ops::{Migrations, migrate::MigrationSet};
//! # static SHARED: MigrationSet = MigrationSet::new(&[]);
//! # static TENANT: MigrationSet = MigrationSet::new(&[]);
//! // static SHARED: MigrationSet = tenantry::embed_migrations!("migrations/shared");
//! // static TENANT: MigrationSet = tenantry::embed_migrations!("migrations/tenant");
//! fn main() -> std::process::ExitCode {
//!     let migrations = Migrations { shared: SHARED.clone(), tenant: TENANT.clone() };
//!     tenantry_cli::main_with(Some(migrations))
//! }
//! ```
//!
//! Exit codes: 0 when everything succeeded (every target migrated, no
//! finding, the tenant operation done), 1 when a target failed, has an
//! applied migration whose file was changed since, verify found a defect, a
//! tenant operation was refused or the audit log's chain is broken, 2 on
//! usage and connection errors.
//! Applied migrations missing from the set are warnings (exit 0).

mod args;
mod commands;
mod connection;
mod exit;
mod migrations;
mod progress;
mod render;

use std::process::ExitCode;

use clap::Parser;
use tenantry_ops::Migrations;

use crate::exit::Fatal;

/// Parses the process's arguments and runs the command on a tokio runtime of
/// its own. `migrations` are the ones compiled into the caller's binary; with
/// `None`, `tenantry migrate` reads them from `--migrations DIR` (default
/// `migrations`), from `DIR/shared/*.sql` and `DIR/tenant/*.sql`.
pub fn main_with(migrations: Option<Migrations>) -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // `--help` and `--version` are "errors" that succeed.
            return if error.use_stderr() {
                ExitCode::from(Fatal::EXIT_CODE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(Fatal::EXIT_CODE);
        }
    };
    match runtime.block_on(commands::run(cli, migrations)) {
        Ok(status) => status.exit_code(),
        Err(fatal) => {
            eprintln!("error: {fatal}");
            ExitCode::from(Fatal::EXIT_CODE)
        }
    }
}
