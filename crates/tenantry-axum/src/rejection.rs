//! How the runtime's typed errors answer a request: each tenant state and
//! limit its own status, and nothing of an internal failure's cause.

use std::time::Duration;

use tenantry_postgres::{Error, TenantStatus};

use crate::problem::{Problem, ProblemKind};

/// How long a client is told to wait for a tenant being moved: the write
/// fence of a move is held for moments, not minutes.
pub const MOVING_RETRY_AFTER: Duration = Duration::from_secs(5);

/// How long a client is told to wait when the database cannot be reached,
/// or its tenant already runs all the statements it may.
pub const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(1);

impl From<Error> for Problem {
    /// The problem of a runtime error: unknown 404, suspended 403, erased
    /// 410, moving 503 and rate-limited 429 (both with `Retry-After`), a
    /// missing row 404, a broken constraint 409, an unreachable database 503;
    /// anything else 500, its cause logged and not shown.
    fn from(error: Error) -> Self {
        match error {
            Error::UnknownTenant { .. } => Problem::new(
                ProblemKind::UnknownTenant,
                "no tenant is registered under the name the request gives",
            ),
            Error::TenantNotActive { status, .. } => not_active(status),
            Error::TenantErased { .. } => {
                Problem::new(ProblemKind::Erased, "the tenant was erased")
            }
            Error::TenantMoving { retry_after, .. } => {
                Problem::new(ProblemKind::Moving, "the tenant is being moved")
                    .with_retry_after(retry_after)
            }
            Error::RateLimited { retry_after, .. } => Problem::new(
                ProblemKind::RateLimited,
                "the tenant is over its statement rate",
            )
            .with_retry_after(retry_after),
            Error::TooManyStatements { .. } => Problem::new(
                ProblemKind::RateLimited,
                "the tenant already runs as many statements as it may",
            )
            .with_retry_after(UNAVAILABLE_RETRY_AFTER),
            Error::NotFound { .. } => {
                Problem::new(ProblemKind::NotFound, "no such row for this tenant")
            }
            Error::Constraint { .. } => Problem::new(
                ProblemKind::Conflict,
                "the write conflicts with the tenant's data",
            ),
            Error::PoolTimeout { .. }
            | Error::PoolClosed
            | Error::Connect { .. }
            | Error::ConnectionLost { .. }
            | Error::TenantMoved { .. } => {
                tracing::warn!(error = %error, "the database cannot serve the request now");
                Problem::new(
                    ProblemKind::Unavailable,
                    "the database cannot serve the request now",
                )
                .with_retry_after(UNAVAILABLE_RETRY_AFTER)
            }
            other => {
                tracing::error!(error = %other, "a request failed");
                Problem::new(ProblemKind::Internal, "the request failed")
            }
        }
    }
}

/// The problem of a tenant that exists but does not serve in `status`.
fn not_active(status: TenantStatus) -> Problem {
    match status {
        TenantStatus::Moving => Problem::new(ProblemKind::Moving, "the tenant is being moved")
            .with_retry_after(MOVING_RETRY_AFTER),
        TenantStatus::Provisioning => Problem::new(
            ProblemKind::UnknownTenant,
            "no tenant is registered under the name the request gives",
        ),
        TenantStatus::Erased => Problem::new(ProblemKind::Erased, "the tenant was erased"),
        TenantStatus::Suspended | TenantStatus::Active => {
            Problem::new(ProblemKind::Suspended, "the tenant is suspended")
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use tenantry_query::TenantId;

    use super::*;

    fn status_of(error: Error) -> (StatusCode, Option<Duration>) {
        let problem = Problem::from(error);
        (problem.kind().status(), problem.retry_after())
    }

    #[test]
    fn each_tenant_state_has_its_status() {
        let id = TenantId::random();
        let not_active = |status| Error::TenantNotActive { id, status };
        let moving = Error::TenantMoving {
            id,
            retry_after: Duration::from_secs(2),
        };
        assert_eq!(
            status_of(moving),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(Duration::from_secs(2))
            )
        );
        assert_eq!(
            status_of(Error::UnknownTenant { id }),
            (StatusCode::NOT_FOUND, None)
        );
        assert_eq!(
            status_of(not_active(TenantStatus::Suspended)),
            (StatusCode::FORBIDDEN, None)
        );
        assert_eq!(
            status_of(Error::TenantErased { id }),
            (StatusCode::GONE, None)
        );
        assert_eq!(
            status_of(not_active(TenantStatus::Moving)),
            (StatusCode::SERVICE_UNAVAILABLE, Some(MOVING_RETRY_AFTER))
        );
        assert_eq!(
            status_of(not_active(TenantStatus::Provisioning)),
            (StatusCode::NOT_FOUND, None)
        );
        let retry_after = Duration::from_millis(1_500);
        assert_eq!(
            status_of(Error::RateLimited {
                tenant: id,
                retry_after
            }),
            (StatusCode::TOO_MANY_REQUESTS, Some(retry_after))
        );
    }

    #[test]
    fn an_internal_failure_shows_nothing_of_its_cause() {
        let problem = Problem::from(Error::Config("secret detail".to_owned()));
        assert_eq!(problem.kind(), ProblemKind::Internal);
        assert!(!problem.detail().contains("secret"));
    }
}
