//! Connections: each server's pools and the budget they share, the lease of
//! one connection, and how a connection goes back to its pool clean.

mod budget;
mod lease;
mod manager;
mod pools;
mod role;
mod server;
mod server_limits;
mod servers;
mod session_reset;
mod statement_cache;

pub(crate) use lease::Lease;
pub(crate) use server::Server;
pub(crate) use server_limits::ServerLimits;
pub(crate) use servers::Servers;
