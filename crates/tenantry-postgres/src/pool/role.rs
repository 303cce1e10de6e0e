//! The refusal of roles that row-level security does not restrict.

use tokio_postgres::{Client, SimpleQueryMessage};

/// Whether the connected role skips row-level security, and its name. Sent
/// as a simple query, so that it also works behind a transaction-mode pooler.
const PRIVILEGE: &str = "SELECT current_user::text, (rolsuper OR rolbypassrls)::text \
     FROM pg_roles WHERE rolname = current_user";

/// Checks a new connection: `Err` with the role's name when it is a superuser
/// or has BYPASSRLS, unless `allowed`; else whether it is one. Every
/// connection is checked, to every server and tenant database, since each
/// may be configured with its own role (or its own settings for the role).
pub(crate) async fn check_role(client: &Client, allowed: bool) -> Result<bool, RoleCheck> {
    let messages = client.simple_query(PRIVILEGE).await?;
    let (role, privileged) = messages
        .iter()
        .find_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some((
                row.get(0).unwrap_or_default().to_owned(),
                row.get(1) != Some("false"),
            )),
            _ => None,
        })
        .unwrap_or_default();
    if privileged && !allowed {
        return Err(RoleCheck::Privileged(role));
    }
    if privileged {
        tracing::warn!(role, "connected as a role that bypasses row-level security");
    }
    Ok(privileged)
}

/// Why a connection's role was not accepted.
#[derive(Debug)]
pub(crate) enum RoleCheck {
    /// The role (named) skips row-level security.
    Privileged(String),
    /// The check itself failed.
    Postgres(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for RoleCheck {
    fn from(error: tokio_postgres::Error) -> Self {
        RoleCheck::Postgres(error)
    }
}
