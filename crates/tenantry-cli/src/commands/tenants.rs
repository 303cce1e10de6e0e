//! `tenantry tenants list`: the registry.

use tenantry_ops::Error;
use tokio_postgres::error::SqlState;

use crate::args::ConnectionArgs;
use crate::exit::{Fatal, Status};
use crate::render::tenants;

/// Prints every registered tenant.
pub(crate) async fn list(connection: &ConnectionArgs, json: bool) -> Result<Status, Fatal> {
    let operator = connection.operator()?;
    let registered = operator.tenants().await.map_err(|error| {
        if is_missing_registry(&error) {
            Fatal::new("the main server has no tenant registry yet: run `tenantry migrate` first")
        } else {
            Fatal::because("cannot read the tenant registry", &error)
        }
    })?;
    if json {
        tenants::print_json(&registered);
    } else {
        print!("{}", tenants::table(&registered));
    }
    Ok(Status::Success)
}

/// Whether `error` says the registry's schema or table does not exist.
fn is_missing_registry(error: &Error) -> bool {
    let Error::Runtime(tenantry_postgres::Error::Database { source }) = error else {
        return false;
    };
    matches!(
        source.code(),
        Some(code) if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME
    )
}
