//! One module per command, and the dispatch between them.

mod migrate;
mod relocate;
mod tenants;
mod verify;

use tenantry_ops::Migrations;

use crate::args::{Cli, Command};
use crate::exit::{Fatal, Status};

/// Runs the command `cli` names. `embedded` are the migrations compiled
/// into the binary, if any.
pub(crate) async fn run(cli: Cli, embedded: Option<Migrations>) -> Result<Status, Fatal> {
    match cli.command {
        Command::Migrate(args) => migrate::run(&cli.connection, &args, embedded).await,
        Command::Tenants { command } => tenants::run(&cli.connection, &command, embedded).await,
        Command::Verify(args) => verify::run(&cli.connection, &args).await,
    }
}
