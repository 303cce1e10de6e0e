//! What a statement admitted by its tenant's gate carries until it ends.

use std::time::Duration;

use tenantry_query::TenantId;
use tokio::sync::OwnedSemaphorePermit;

use crate::Error;

/// A tenant's statement let through its gate: it holds one of the tenant's
/// concurrent slots (if capped) until the connection goes back, and knows
/// the limits that explain its errors.
#[derive(Debug)]
pub(crate) struct Admission {
    pub(super) tenant: TenantId,
    pub(super) statement_timeout: Option<Duration>,
    pub(super) _slot: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// `error`, with the tenant and its limit when it is a statement timeout.
    pub(crate) fn explain(&self, error: Error) -> Error {
        match error {
            Error::StatementTimeout {
                tenant: None,
                limit: None,
                source,
            } => Error::StatementTimeout {
                tenant: Some(self.tenant),
                limit: self.statement_timeout,
                source,
            },
            other => other,
        }
    }
}
