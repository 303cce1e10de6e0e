//! How a failed statement is told in spans, metrics and usage: a short,
//! bounded `error.type`, the server's SQLSTATE, and whether it counts as a
//! timeout or a rejection.

use std::error::Error as _;

use crate::Error;

/// The `error.type` of `error`: one word per kind of failure.
pub(crate) fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Query(_) => "query",
        Error::NotFound { .. } => "not_found",
        Error::Config(_) => "config",
        Error::PrivilegedRole { .. } => "privileged_role",
        Error::Constraint { .. } => "constraint",
        Error::PermissionDenied { .. } => "permission_denied",
        Error::ParameterType { .. } => "parameter_type",
        Error::ParameterCount { .. } => "parameter_count",
        Error::StatementTimeout { .. } => "statement_timeout",
        Error::Cancelled { .. } => "cancelled",
        Error::ConnectionLost { .. } => "connection_lost",
        Error::UnrecognisedGroup { .. } => "unrecognised_group",
        Error::PoolTimeout { .. } => "pool_timeout",
        Error::RateLimited { .. } => "rate_limited",
        Error::TooManyStatements { .. } => "too_many_statements",
        Error::BatchNotAllowed { .. } => "batch_not_allowed",
        Error::Connect { .. } => "connect",
        Error::PoolClosed => "pool_closed",
        Error::RoutingNotChosen => "routing_not_chosen",
        Error::NoRegistry => "no_registry",
        Error::RegistryInUse => "registry_in_use",
        Error::UnknownTenant { .. } => "unknown_tenant",
        Error::TenantNotActive { .. } => "tenant_not_active",
        Error::TenantMoving { .. } => "tenant_moving",
        Error::TenantErased { .. } => "tenant_erased",
        Error::TenantMoved { .. } => "tenant_moved",
        Error::OutsidePlacement { .. } => "outside_placement",
        Error::AccessExpired { .. } => "access_expired",
        Error::InvalidAccess(_) => "invalid_access",
        Error::UnknownServer { .. } => "unknown_server",
        Error::TransactionAborted => "transaction_aborted",
        Error::Database { .. } => "database",
    }
}

/// The SQLSTATE the server answered with (`db.response.status_code`), if
/// the failure came from the server.
pub(crate) fn status_code(error: &Error) -> Option<&str> {
    let driver = error.source()?.downcast_ref::<tokio_postgres::Error>()?;
    driver.code().map(|state| state.code())
}

/// How a statement ended, as usage and the counters count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It ran.
    Done,
    /// It failed.
    Failed,
    /// It failed for want of time (a statement or pool timeout).
    TimedOut,
    /// It was refused before it ran: over the tenant's limits, or for want of
    /// capacity.
    Rejected,
}

impl Outcome {
    /// How a call that ended with `error` (or without one) ended.
    pub(crate) fn of(error: Option<&Error>) -> Self {
        match error {
            None => Outcome::Done,
            Some(Error::StatementTimeout { .. } | Error::PoolTimeout { .. }) => Outcome::TimedOut,
            Some(
                Error::PoolClosed
                | Error::RateLimited { .. }
                | Error::TooManyStatements { .. }
                | Error::BatchNotAllowed { .. },
            ) => Outcome::Rejected,
            Some(_) => Outcome::Failed,
        }
    }
}
