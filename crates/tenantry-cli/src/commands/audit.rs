//! `tenantry audit`: the audit log of support access, listed per tenant and
//! its hash chain checked.

use tenantry_ops::TenantRef;
use tenantry_ops::audit::AuditFilter;

use crate::args::{AuditCommand, ConnectionArgs};
use crate::exit::{Fatal, Status};
use crate::render::audit;

/// Runs `command`: `verify` fails (exit 1) on a broken chain.
pub(crate) async fn run(
    connection: &ConnectionArgs,
    command: &AuditCommand,
) -> Result<Status, Fatal> {
    let operator = connection.operator()?;
    match command {
        AuditCommand::Verify { json } => {
            let verification = operator
                .verify_audit()
                .await
                .map_err(|error| Fatal::because("cannot read the audit log", &error))?;
            audit::print_verification(&verification, *json);
            Ok(Status::failure_if(!verification.is_intact()))
        }
        AuditCommand::List { tenant, json } => {
            // An id is taken as it is: the log outlives the registry's row,
            // and a pool-only deployment registers no tenant. A slug is
            // looked up.
            let id = match TenantRef::from(tenant.as_str()) {
                TenantRef::Id(id) => id,
                slug => {
                    operator
                        .tenant(slug)
                        .await
                        .map_err(|error| Fatal::because("cannot find the tenant", &error))?
                        .id
                }
            };
            let filter = AuditFilter { tenant: Some(id) };
            let entries = operator
                .audit_log(&filter)
                .await
                .map_err(|error| Fatal::because("cannot read the audit log", &error))?;
            audit::print_entries(&entries, *json);
            Ok(Status::Success)
        }
    }
}
