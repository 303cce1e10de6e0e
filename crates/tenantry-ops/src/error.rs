//! The error type of the operator.

use std::time::Duration;

use tenantry_query::TenantId;

/// Everything that can go wrong migrating, provisioning, verifying or
/// changing the state of tenants. Failures of the database itself, and of
/// the names and values given, are the runtime's error, `tenantry::Error`
/// ([`Error::Runtime`]): the same classification (constraint, permission,
/// connection lost, ...) on both sides.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database, a connection, or a name or value given failed, as the
    /// runtime classifies it.
    #[error(transparent)]
    Runtime(#[from] tenantry_postgres::Error),
    /// A status change of the tenant waited longer than the operator's fence
    /// wait for the tenant's writing transactions to end; nothing changed.
    #[error(
        "tenant {id}'s writing transactions did not end within {waited:?}; its status is unchanged"
    )]
    FenceTimeout {
        /// The tenant.
        id: TenantId,
        /// How long the change waited.
        waited: Duration,
    },
    /// A status change was asked with a blank actor, reason or reference;
    /// nothing changed.
    #[error("the {field} of a status change may not be blank")]
    BlankReason {
        /// `actor`, `reason` or `reference`.
        field: &'static str,
    },
    /// A tier change named no tier; nothing changed.
    #[error("a tenant's tier may not be blank")]
    BlankTier,
    /// No tenant has this slug.
    #[error("no tenant has the slug {slug:?}")]
    UnknownSlug {
        /// The slug.
        slug: String,
    },
    /// The operation applies only to a tenant still being provisioned.
    #[error("tenant {id} is {status}, not provisioning; nothing was removed")]
    NotProvisioning {
        /// The tenant.
        id: TenantId,
        /// Its status.
        status: tenantry_postgres::TenantStatus,
    },
    /// An erasure found something of the tenant left after its deletes; no
    /// record was written, and running it again goes on.
    #[error("the erasure of tenant {id} left {} thing(s) behind; run it again", left.len())]
    ErasureIncomplete {
        /// The tenant.
        id: TenantId,
        /// What is left.
        left: Vec<crate::erasure::ErasureCheck>,
    },
    /// The tenant has no erasure record: it was not erased, or its erasure
    /// did not finish.
    #[error("tenant {id} has no erasure record: it was not erased, or its erasure did not finish")]
    NoErasureRecord {
        /// The tenant.
        id: TenantId,
    },
    /// Another tenant already has this slug.
    #[error("the slug {slug:?} is taken by another tenant")]
    DuplicateSlug {
        /// The slug.
        slug: String,
    },
    /// A tenant with this id exists with another slug, placement or server.
    #[error("tenant {id} already exists with another slug, placement or server")]
    TenantExists {
        /// The tenant.
        id: TenantId,
    },
    /// An applied migration's SQL has changed since it was applied.
    #[error("migration {version} ({name}) was changed after it was applied")]
    MigrationChanged {
        /// Its version.
        version: i64,
        /// Its name.
        name: String,
    },
    /// A migration marked to run outside a transaction failed. Nothing was
    /// recorded, so the next run applies it again; nothing was undone, so
    /// whatever it did before failing stays (a failed `CREATE INDEX
    /// CONCURRENTLY` leaves an invalid index behind).
    #[error(
        "migration {version} ({name}) failed outside a transaction: it is not recorded, and what it did before failing stays: {source}"
    )]
    NonTransactionalMigrationFailed {
        /// Its version.
        version: i64,
        /// Its name.
        name: String,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
    /// A server to add to the registry has a name that is not a lower-case
    /// word (`eu-1`, `shard_2`: a letter, then up to 39 letters, digits, `-`
    /// or `_`), or is `main`; nothing was recorded.
    #[error(
        "{name:?} is not a server name: a lower-case letter, then up to 39 letters, digits, - or _, and not main"
    )]
    InvalidServerName {
        /// The name given.
        name: String,
    },
    /// A server of this name is configured or recorded already, elsewhere;
    /// nothing was recorded.
    #[error("server {name:?} exists already, at {existing}")]
    ServerExists {
        /// The name.
        name: String,
        /// Where the server of that name is (its connection string, or
        /// `the operator's configuration`).
        existing: String,
    },
    /// A server cannot be removed from the registry while tenants live or
    /// lived on it (an erased tenant's tombstone names its server too).
    #[error("server {name:?} still holds {tenants} tenant(s); nothing was removed")]
    ServerInUse {
        /// The server.
        name: String,
        /// How many registry rows name it.
        tenants: i64,
    },
    /// A relocation's destination is where the tenant lives already.
    #[error("tenant {id} lives in {place} already; nothing to relocate")]
    SamePlacement {
        /// The tenant.
        id: TenantId,
        /// Its place.
        place: String,
    },
    /// A relocation's source and destination are not at one schema version
    /// (the source's applied tenant migrations and the destination's, or
    /// the migrations given for a new schema or database); nothing was made.
    /// Migrate both first.
    #[error(
        "tenant {id} cannot be relocated: its tables are at version {from:?}, the destination's at {to:?}"
    )]
    VersionMismatch {
        /// The tenant.
        id: TenantId,
        /// The source's highest applied version.
        from: Option<i64>,
        /// The destination's.
        to: Option<i64>,
    },
    /// A table of the tenant at the source has no counterpart at the
    /// destination: their schemas differ.
    #[error("the destination {place} has no table {table}")]
    MissingTable {
        /// The table.
        table: String,
        /// The destination.
        place: String,
    },
    /// A copy of the tenant's rows did not match the source (row count or
    /// digest) in a table; the move was rolled back: the destination
    /// removed, the tenant served where it was, writing again.
    #[error(
        "the copy of tenant {id}'s {table} does not match the source ({source_rows} rows there, {target_rows} copied); the move was rolled back"
    )]
    VerificationFailed {
        /// The tenant.
        id: TenantId,
        /// The table, at the destination.
        table: String,
        /// Its rows of the tenant at the source.
        source_rows: i64,
        /// Its rows of the tenant at the destination.
        target_rows: i64,
    },
    /// A copied row of the tenant refers, through a foreign key, to a row
    /// the destination does not have; the move was rolled back, as for
    /// [`Error::VerificationFailed`].
    #[error(
        "the copy of tenant {id}'s {table} refers to rows the destination lacks ({constraint}); the move was rolled back"
    )]
    BrokenReference {
        /// The tenant.
        id: TenantId,
        /// The referring table, at the destination.
        table: String,
        /// The foreign key.
        constraint: String,
    },
    /// The tenant has a move open to another destination, or at a step that
    /// does not allow this: finish it or roll it back first.
    #[error("tenant {id} has a move to {to} open at step {step}: finish it or roll it back first")]
    RelocationInProgress {
        /// The tenant.
        id: TenantId,
        /// Where the open move goes.
        to: String,
        /// Its step.
        step: crate::relocate::RelocationStep,
    },
    /// The changes decoded from a relocation's source (its online copy)
    /// could not be read or applied: the bytes were not a `pgoutput`
    /// message, or a change named a table or column the copy does not
    /// have. Running the move again resumes it with the fenced copy.
    #[error("the online copy's change stream failed: {0}")]
    ChangeStream(String),
    /// The tenant has no open move to finish or roll back.
    #[error("tenant {id} has no relocation open")]
    NoRelocation {
        /// The tenant.
        id: TenantId,
    },
    /// Auditing one database of the deployment failed (it could not be
    /// reached or its catalog read), so the audit is incomplete.
    #[error("cannot verify database {database:?} on server {server:?}: {source}")]
    Verify {
        /// The server.
        server: String,
        /// The database.
        database: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
}

impl From<tokio_postgres::Error> for Error {
    fn from(error: tokio_postgres::Error) -> Self {
        Error::Runtime(error.into())
    }
}

impl From<tenantry_query::Error> for Error {
    fn from(error: tenantry_query::Error) -> Self {
        Error::Runtime(error.into())
    }
}
