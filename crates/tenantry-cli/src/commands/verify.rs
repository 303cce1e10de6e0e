//! `tenantry verify`: the library's isolation checks on every database of
//! the deployment: each server's own, each server's template, and every
//! tenant database in the registry.

use tenantry_ops::verify::VerifyOptions;

use crate::args::{ConnectionArgs, VerifyArgs};
use crate::connection::check_reachable;
use crate::exit::{Fatal, Status};
use crate::render::findings;

/// Checks every database; `Failure` on any finding.
pub(crate) async fn run(connection: &ConnectionArgs, args: &VerifyArgs) -> Result<Status, Fatal> {
    let operator = connection.operator()?;
    check_reachable(&connection.servers()?).await?;
    let options = VerifyOptions {
        schemas: args.schemas.clone(),
        tenant_column: args.tenant_column.clone(),
        app_roles: connection.app_roles.clone(),
    };
    let report = operator
        .verify(&options)
        .await
        .map_err(|error| Fatal::because("the audit is incomplete", &error))?;
    if args.json {
        findings::print_json(&report);
    } else {
        print!("{}", findings::text(&report));
    }
    Ok(Status::failure_if(!report.is_clean()))
}
