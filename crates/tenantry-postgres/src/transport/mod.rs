//! Bytes to and from a server: opening a connection, and the stream that
//! splices a tenant context into its statement's message group.

pub(crate) mod connect;
pub(crate) mod probe;
pub(crate) mod traffic;
pub(crate) mod wire;
