//! The start-up refusal of roles that row-level security does not restrict.

use tokio_postgres::Client;

use crate::Error;

/// Fails with [`Error::PrivilegedRole`] when the connected role is a superuser
/// or has BYPASSRLS, unless `allowed`.
pub(crate) async fn check_role(client: &Client, allowed: bool) -> Result<(), Error> {
    let row = client
        .query_one(
            "SELECT current_user::text, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?;
    let (role, privileged): (String, bool) = (row.get(0), row.get(1));
    if privileged && !allowed {
        return Err(Error::PrivilegedRole { role });
    }
    if privileged {
        tracing::warn!(role, "connected as a role that bypasses row-level security");
    }
    Ok(())
}
