//! One module per command, and the dispatch between them.

mod audit;
mod migrate;
mod relocate;
mod servers;
mod tenants;
mod verify;

use tenantry_ops::Migrations;

use crate::args::{Cli, Command};
use crate::exit::{Fatal, Status, describe};

/// Runs the command `cli` names. `embedded` are the migrations compiled
/// into the binary, if any.
pub(crate) async fn run(cli: Cli, embedded: Option<Migrations>) -> Result<Status, Fatal> {
    match cli.command {
        Command::Migrate(args) => migrate::run(&cli.connection, &args, embedded).await,
        Command::Tenants { command } => tenants::run(&cli.connection, &command, embedded).await,
        Command::Servers { command } => servers::run(&cli.connection, &command, embedded).await,
        Command::Verify(args) => verify::run(&cli.connection, &args).await,
        Command::Audit { command } => audit::run(&cli.connection, &command).await,
    }
}

/// An operation that failed: fatal if a server could not be reached,
/// refused (exit 1) otherwise.
fn refused(error: tenantry_ops::Error) -> Result<Status, Fatal> {
    if let tenantry_ops::Error::Runtime(tenantry_postgres::Error::Connect { .. }) = error {
        return Err(Fatal::because("cannot reach a server", &error));
    }
    eprintln!("error: {}", describe(&error));
    Ok(Status::Failure)
}
