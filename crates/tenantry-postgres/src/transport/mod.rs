//! Bytes to and from a server: sockets, TLS beneath the splice, opening a
//! connection, and the stream that splices a tenant context into its
//! statement's message group.

pub(crate) mod connect;
mod failure;
pub(crate) mod probe;
mod socket;
pub(crate) mod tls;
pub(crate) mod traffic;
pub(crate) mod wire;

pub use failure::ConnectFailure;
pub(crate) use socket::Endpoint;
