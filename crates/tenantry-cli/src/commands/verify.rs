//! `tenantry verify`: the library's isolation checks, on the database of the
//! main server and of every other configured server.

use tenantry_postgres::verify::{VerifyOptions, verify};
use tokio_postgres::Client;

use crate::args::{ConnectionArgs, VerifyArgs};
use crate::exit::{Fatal, Status};
use crate::render::findings::{self, ServerFindings};

/// Checks every server; `Failure` on any finding.
pub(crate) async fn run(connection: &ConnectionArgs, args: &VerifyArgs) -> Result<Status, Fatal> {
    let servers = connection.servers()?;
    let mut checked = Vec::with_capacity(servers.len());
    for server in &servers {
        let client = server.connect().await?;
        let options = VerifyOptions {
            schemas: schemas(&client, &args.schemas).await?,
            tenant_column: args.tenant_column.clone(),
            app_roles: connection.app_roles.clone(),
        };
        let found = verify(&client, &options).await.map_err(|error| {
            Fatal::because(&format!("cannot verify server {}", server.name), &error)
        })?;
        checked.push(ServerFindings {
            server: server.name.clone(),
            findings: found.iter().map(ToString::to_string).collect(),
        });
    }
    if args.json {
        findings::print_json(&checked);
    } else {
        print!("{}", findings::text(&checked));
    }
    Ok(Status::failure_if(findings::count(&checked) > 0))
}

/// The schemas to check: the ones asked for, or else every schema tenantry
/// migrated in this database (the pool's, the shared one, each tenant's),
/// or `public` in a database it never migrated.
async fn schemas(client: &Client, asked: &[String]) -> Result<Vec<String>, Fatal> {
    if !asked.is_empty() {
        return Ok(asked.to_vec());
    }
    let failed =
        |error: tokio_postgres::Error| Fatal::because("cannot list the migrated schemas", &error);
    let migrated: bool = client
        .query_one("SELECT to_regclass('tenantry.migrations') IS NOT NULL", &[])
        .await
        .map_err(failed)?
        .get(0);
    let schemas: Vec<String> = if migrated {
        client
            .query(
                "SELECT DISTINCT target FROM tenantry.migrations WHERE set_name <> 'control' ORDER BY target",
                &[],
            )
            .await
            .map_err(failed)?
            .iter()
            .map(|row| row.get(0))
            .collect()
    } else {
        Vec::new()
    };
    Ok(if schemas.is_empty() {
        vec!["public".to_owned()]
    } else {
        schemas
    })
}
