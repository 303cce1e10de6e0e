//! `tenantry servers ...`: servers added to the registry at run time.

use tenantry_ops::Migrations;

use super::refused;
use crate::args::{AddServerArgs, ConnectionArgs, ServersCommand};
use crate::exit::{Fatal, Status};
use crate::migrations;
use crate::render::{migration, servers};

/// Runs `tenantry servers <command>`.
pub(crate) async fn run(
    connection: &ConnectionArgs,
    command: &ServersCommand,
    embedded: Option<Migrations>,
) -> Result<Status, Fatal> {
    let operator = connection.operator()?;
    match command {
        ServersCommand::List { json } => {
            let registered = operator
                .registered_servers()
                .await
                .map_err(|error| Fatal::because("cannot read the registry's servers", &error))?;
            servers::print(&registered, *json);
            Ok(Status::Success)
        }
        ServersCommand::Add(args) => add(&operator, args, embedded).await,
        ServersCommand::Remove { name } => match operator.remove_server(name).await {
            Ok(()) => {
                println!("removed server {name}");
                Ok(Status::Success)
            }
            Err(error) => refused(error),
        },
    }
}

async fn add(
    operator: &tenantry_ops::Operator,
    args: &AddServerArgs,
    embedded: Option<Migrations>,
) -> Result<Status, Fatal> {
    let migrations = migrations::choose(embedded, args.migrations.as_deref())?;
    match operator
        .add_server(&args.name, &args.url, &args.actor, &migrations)
        .await
    {
        Ok(report) => {
            if args.json {
                migration::print_json(&report, false);
            } else {
                println!("server {} recorded", args.name);
                print!("{}", migration::summary(&report, false));
                for failure in report.failures() {
                    eprintln!("error: {}: {}", failure.target, failure.outcome);
                }
            }
            Ok(Status::failure_if(!report.is_success()))
        }
        Err(error) => refused(error),
    }
}
