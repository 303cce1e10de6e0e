//! What every handle of one `Tenantry` shares: the servers, the router and the settings.

use std::collections::HashMap;
use std::sync::Arc;

use postgres_types::ToSql;
use sea_query::Value;

use crate::param::Param;
use crate::router::Router;
use crate::server::Server;
use crate::{Config, Error};

/// The servers and settings behind every handle.
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// The main server: global entities, the registry, untracked tenants.
    pub(crate) main: Arc<Server>,
    pub(crate) servers: HashMap<String, Arc<Server>>,
    /// Present when tenants are routed through the registry.
    pub(crate) router: Option<Router>,
}

impl Shared {
    /// The server named `name`.
    pub(crate) fn server(&self, name: &str) -> Result<Arc<Server>, Error> {
        self.servers
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UnknownServer {
                name: name.to_owned(),
            })
    }
}

/// The bind values of a built statement as driver parameters.
pub(crate) fn params(values: &[Value]) -> Vec<Param<'_>> {
    values.iter().map(Param).collect()
}

/// Borrows parameters as the driver takes them.
pub(crate) fn as_dyn<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|param| param as &(dyn ToSql + Sync))
        .collect()
}
