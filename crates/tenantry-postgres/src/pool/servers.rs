//! Every server of one `Tenantry`, by name: the configured ones, the main one
//! first, and those added to the registry at run time, opened on first use.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{Server, ServerLimits};
use crate::Error;
use crate::options::ConnectOptions;

/// The servers of one `Tenantry`.
pub(crate) struct Servers {
    main: Arc<Server>,
    configured: HashMap<String, Arc<Server>>,
    /// Servers the registry records, opened since they were first used and
    /// dropped when the registry announces a change to them.
    registered: RwLock<HashMap<String, Arc<Server>>>,
    /// The limits a registered server opens with.
    limits: ServerLimits,
}

impl Servers {
    /// `servers`, of which the one named `main` is the main server; servers
    /// registered later open with `limits`.
    pub(crate) fn new(
        main: &str,
        servers: impl IntoIterator<Item = Arc<Server>>,
        limits: ServerLimits,
    ) -> Self {
        let configured: HashMap<String, Arc<Server>> = servers
            .into_iter()
            .map(|server| (server.name.clone(), server))
            .collect();
        let main = configured[main].clone();
        Self {
            main,
            configured,
            registered: RwLock::default(),
            limits,
        }
    }

    /// The main server: global entities, the registry, untracked tenants.
    pub(crate) fn main(&self) -> &Arc<Server> {
        &self.main
    }

    /// The server named `name`, configured or registered and opened already.
    pub(crate) fn named(&self, name: &str) -> Result<Arc<Server>, Error> {
        let registered = || {
            self.registered
                .read()
                .expect("servers lock")
                .get(name)
                .cloned()
        };
        self.configured
            .get(name)
            .cloned()
            .or_else(registered)
            .ok_or_else(|| Error::UnknownServer {
                name: name.to_owned(),
            })
    }

    /// Opens server `name`, which the registry records, as `options` say;
    /// the one opened already if another call got there first.
    pub(crate) fn register(&self, name: &str, options: ConnectOptions) -> Arc<Server> {
        self.registered
            .write()
            .expect("servers lock")
            .entry(name.to_owned())
            .or_insert_with(|| Server::new(name.to_owned(), options, self.limits))
            .clone()
    }

    /// Drops registered server `name` (its connections close as their
    /// handles go): the registry changed it.
    pub(crate) fn forget(&self, name: &str) {
        self.registered.write().expect("servers lock").remove(name);
    }

    /// Every server, configured and registered.
    pub(crate) fn all(&self) -> Vec<Arc<Server>> {
        let registered = self.registered.read().expect("servers lock");
        self.configured
            .values()
            .chain(registered.values())
            .cloned()
            .collect()
    }
}
