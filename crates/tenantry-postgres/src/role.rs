//! The start-up refusal of roles that row-level security does not restrict.

use crate::lease::Lease;
use crate::pipeline;

use crate::Error;

/// Fails with [`Error::PrivilegedRole`] when the connected role is a superuser
/// or has BYPASSRLS, unless `allowed`.
pub(crate) async fn check_role(lease: &Lease, allowed: bool) -> Result<(), Error> {
    let rows = pipeline::query(
        lease,
        "BEGIN",
        "SELECT current_user::text, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
        &[],
    )
    .await?;
    let (role, privileged): (String, bool) = (rows[0].get(0), rows[0].get(1));
    if privileged && !allowed {
        return Err(Error::PrivilegedRole { role });
    }
    if privileged {
        tracing::warn!(role, "connected as a role that bypasses row-level security");
    }
    Ok(())
}
