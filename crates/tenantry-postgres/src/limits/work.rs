//! What a tenant's statement is for, which decides the connections it takes
//! and the limits it runs under.

/// A request (the default), or batch work (exports, imports, reports) that
/// takes connections of the server's batch budget, never the requests'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// An ordinary statement: the tenant's rate, concurrency and share of the
    /// requests' connections, and its statement timeout.
    Request,
    /// A statement of [`Tenant::batch`](crate::Tenant::batch): the batch
    /// connections of its server, and the tier's batch timeout.
    Batch,
}
