//! The operator's spans: one per migration target, and one per step of a
//! tenant's provisioning and erasure, each naming its tenant, with
//! OpenTelemetry's database attributes where they apply.

use std::future::Future;

use tenantry_query::TenantId;
use tracing::field::{Empty, display};
use tracing::{Instrument, Span};

use crate::Error;
use crate::migrate::Target;

/// The operator's processes made of steps.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Process {
    /// [`Operator::provision`](crate::Operator::provision).
    Provisioning,
    /// [`Operator::erase`](crate::Operator::erase).
    Erasure,
    /// [`Operator::relocate`](crate::Operator::relocate).
    Relocation,
}

impl Process {
    fn as_str(self) -> &'static str {
        match self {
            Process::Provisioning => "provisioning",
            Process::Erasure => "erasure",
            Process::Relocation => "relocation",
        }
    }
}

/// The `error.type` of `error`: one word per kind of failure.
fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Runtime(_) => "runtime",
        Error::FenceTimeout { .. } => "fence_timeout",
        Error::BlankReason { .. } => "blank_reason",
        Error::BlankTier => "blank_tier",
        Error::UnknownSlug { .. } => "unknown_slug",
        Error::NotProvisioning { .. } => "not_provisioning",
        Error::ErasureIncomplete { .. } => "erasure_incomplete",
        Error::NoErasureRecord { .. } => "no_erasure_record",
        Error::DuplicateSlug { .. } => "duplicate_slug",
        Error::TenantExists { .. } => "tenant_exists",
        Error::MigrationChanged { .. } => "migration_changed",
        Error::NonTransactionalMigrationFailed { .. } => "non_transactional_migration_failed",
        Error::InvalidServerName { .. } => "invalid_server_name",
        Error::ServerExists { .. } => "server_exists",
        Error::ServerInUse { .. } => "server_in_use",
        Error::SamePlacement { .. } => "same_placement",
        Error::VersionMismatch { .. } => "version_mismatch",
        Error::MissingTable { .. } => "missing_table",
        Error::VerificationFailed { .. } => "verification_failed",
        Error::BrokenReference { .. } => "broken_reference",
        Error::RelocationInProgress { .. } => "relocation_in_progress",
        Error::NoRelocation { .. } => "no_relocation",
        Error::ChangeStream(_) => "change_stream",
        Error::Verify { .. } => "verify",
    }
}

impl Process {
    /// Runs `work`, step `step` of this process for `tenant`, in a span of
    /// its own that records the failure's `error.type`.
    pub(crate) async fn step<T>(
        self,
        tenant: TenantId,
        step: &'static str,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let span = tracing::info_span!(
            "tenantry.step",
            db.system.name = tenantry_postgres::telemetry::DB_SYSTEM,
            error.type = Empty,
            tenant.id = %tenant,
            tenantry.process = self.as_str(),
            tenantry.step = step,
        );
        failed_in(&span, work.instrument(span.clone()).await)
    }
}

/// The span of migrating `target`: its set, server, database and schema,
/// and its tenant when the target is one tenant's.
pub(crate) fn migration_target(target: &Target) -> Span {
    let schema = target.schema.as_str();
    let namespace = target
        .database
        .as_ref()
        .map(|database| display(Namespace(database.as_str(), schema)));
    tracing::info_span!(
        "tenantry.migration_target",
        db.system.name = tenantry_postgres::telemetry::DB_SYSTEM,
        db.namespace = namespace,
        error.type = Empty,
        tenant.id = target.tenant.map(display),
        tenantry.migration_set = target.set.as_str(),
        tenantry.schema = schema,
        tenantry.server = target.server.as_str(),
    )
}

/// Records a failed migration of a target on its span.
pub(crate) fn migration_failed(span: &Span) {
    span.record("error.type", "migration_failed");
}

/// `result`, its failure recorded on `span`.
fn failed_in<T>(span: &Span, result: Result<T, Error>) -> Result<T, Error> {
    if let Err(error) = &result {
        span.record("error.type", error_type(error));
    }
    result
}

/// `db.namespace` of a target in a tenant's own database:
/// `{database}|{schema}` (on a server's own database the span has
/// `tenantry.schema` only).
struct Namespace<'a>(&'a str, &'a str);

impl std::fmt::Display for Namespace<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}|{}", self.0, self.1)
    }
}
