//! Where a tenant's statements go: its route (server, placement, context),
//! resolved through the registry and cached, the cache kept true by the
//! registry's notifications.

mod choice;
mod listener;
pub mod registry;
pub(crate) mod route;
pub(crate) mod router;
pub(crate) mod server_lookup;

pub(crate) use choice::Routing;
pub(crate) use listener::listen;
