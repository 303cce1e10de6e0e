//! Every configured server, by name, the main one first.

use std::collections::HashMap;
use std::sync::Arc;

use super::Server;
use crate::Error;

/// The servers of one `Tenantry`.
pub(crate) struct Servers {
    main: Arc<Server>,
    by_name: HashMap<String, Arc<Server>>,
}

impl Servers {
    /// `servers`, of which the one named `main` is the main server.
    pub(crate) fn new(main: &str, servers: impl IntoIterator<Item = Arc<Server>>) -> Self {
        let by_name: HashMap<String, Arc<Server>> = servers
            .into_iter()
            .map(|server| (server.name.clone(), server))
            .collect();
        let main = by_name[main].clone();
        Self { main, by_name }
    }

    /// The main server: global entities, the registry, untracked tenants.
    pub(crate) fn main(&self) -> &Arc<Server> {
        &self.main
    }

    /// The server named `name`.
    pub(crate) fn named(&self, name: &str) -> Result<Arc<Server>, Error> {
        self.by_name
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UnknownServer {
                name: name.to_owned(),
            })
    }

    /// Every server.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Arc<Server>> {
        self.by_name.values()
    }
}
