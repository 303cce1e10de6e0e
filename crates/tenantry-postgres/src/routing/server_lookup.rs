//! Finding a server that a tenant's registry row names: configured, opened
//! already, or added to the registry at run time, in which case its address
//! is read from the registry and its pool opened now, under its own budget.

use std::sync::Arc;

use tokio_postgres::error::SqlState;

use super::registry;
use crate::context::pipeline;
use crate::context::start::NO_CONTEXT;
use crate::pool::{Server, Servers};
use crate::{Config, Error};

/// The server named `name` among `servers`, or the one the registry records
/// under that name, opened with `config`'s credentials. A registry without
/// servers of its own (migrated before they were recorded) knows none.
pub(crate) async fn server(
    servers: &Servers,
    config: &Config,
    name: &str,
) -> Result<Arc<Server>, Error> {
    match servers.named(name) {
        Err(Error::UnknownServer { .. }) => {}
        found => return found,
    }
    let unknown = || Error::UnknownServer {
        name: name.to_owned(),
    };
    let lease = servers.main().lease().await?;
    let rows = match pipeline::query(&lease, &NO_CONTEXT, &registry::find_server_sql(), &[&name])
        .await
    {
        Err(Error::Database { source }) if source.code() == Some(&SqlState::UNDEFINED_FUNCTION) => {
            return Err(unknown());
        }
        rows => rows?,
    };
    drop(lease);
    let url: String = rows.first().ok_or_else(unknown)?.get(0);
    let options = config.registered_server(name, &url).await?;
    Ok(servers.register(name, options))
}
