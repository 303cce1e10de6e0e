//! The error type of the PostgreSQL layer.

use std::io;
use std::time::Duration;

use tenantry_query::TenantId;
use tokio_postgres::error::{DbError, Severity, SqlState};

use crate::contract::{
    ACCESS_EXPIRED_STATE, CONTROL_SCHEMA, MOVED_RESIDENCY, MOVING_RETRY_AFTER, NOT_ACTIVE_STATE,
    OUTSIDE_PLACEMENT_STATE,
};
use crate::placement::TenantStatus;
use crate::transport::ConnectFailure;
use crate::transport::wire::Unrecognised;

/// Which integrity rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConstraintKind {
    /// A unique or primary-key constraint.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// A `CHECK` constraint.
    Check,
    /// A `NOT NULL` column.
    NotNull,
    /// An exclusion constraint.
    Exclusion,
}

/// Everything that can go wrong running tenantry statements on PostgreSQL.
///
/// Every error that PostgreSQL reported keeps the server's error as its
/// source, with its message and SQL state
/// ([`tokio_postgres::Error::code`]), but the write fence's refusal of a
/// tenant that is not active ([`Error::TenantNotActive`]), which says the
/// tenant and its status instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Building a statement or reading its rows failed, or more rows came
    /// back than the call expected (`optional`).
    #[error(transparent)]
    Query(tenantry_query::Error),
    /// A statement expected to return one row (`one`) returned none.
    #[error("no `{table}` row matched")]
    NotFound {
        /// The table queried.
        table: &'static str,
    },
    /// The configuration is incomplete or malformed.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The application connects as a role that skips row-level security.
    #[error(
        "the database role {role:?} is a superuser or has BYPASSRLS, so row-level security would not apply to it; connect as an ordinary role (or opt out explicitly with `Config::allow_privileged_role`)"
    )]
    PrivilegedRole {
        /// The role connected as.
        role: String,
    },
    /// A write broke an integrity constraint.
    #[error("{kind} constraint{} violated", constraint.as_ref().map(|name| format!(" {name:?}")).unwrap_or_default())]
    Constraint {
        /// Which kind of rule.
        kind: ConstraintKind,
        /// The constraint's name, when the server gave it: from a Citus
        /// worker, which gives it in the message only and for the shard,
        /// the name as declared (without the shard's suffix).
        constraint: Option<String>,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A row-level security policy rejected a write (a row that would belong
    /// to another tenant), or the role lacks a privilege.
    #[error("permission denied: {}", server_message(source))]
    PermissionDenied {
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A bind value does not have the type PostgreSQL expects for its parameter.
    #[error("parameter ${position} is expected to be {expected}: {source}")]
    ParameterType {
        /// The parameter's position (`$1` is 1).
        position: usize,
        /// The type PostgreSQL inferred for it.
        expected: String,
        /// Why the value does not fit.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A statement got a different number of values than it has parameters.
    #[error("the statement has {expected} parameters but {given} values were given")]
    ParameterCount {
        /// Parameters in the statement.
        expected: usize,
        /// Values given.
        given: usize,
    },
    /// The statement ran longer than its `statement_timeout`: its tenant's
    /// limit ([`Limits::statement_timeout`](crate::Limits::statement_timeout)),
    /// or one the server or role sets.
    #[error(
        "statement cancelled after exceeding its time limit{}{}",
        tenant.map(|tenant| format!(" (tenant {tenant})")).unwrap_or_default(),
        limit.map(|limit| format!(" of {limit:?}")).unwrap_or_default(),
    )]
    StatementTimeout {
        /// The tenant whose statement it was (`None` for a global statement).
        tenant: Option<TenantId>,
        /// The tenant's limit (`None`: a limit set by the server or role).
        limit: Option<Duration>,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The statement was cancelled by a cancel request: another session's
    /// `pg_cancel_backend`, an administrator, or the cancel tenantry sends
    /// for a call that was dropped. Not a time limit. (A server whose
    /// messages are not in English reports its statement timeouts as this
    /// too: PostgreSQL gives both the same code.)
    #[error("statement cancelled on request: {}", server_message(source))]
    Cancelled {
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The connection died (server restart, network failure, terminated
    /// backend, or the server ended the session with a `FATAL` error). The
    /// connection is discarded; the next call gets a new one.
    ///
    /// A single statement (a tenant's or a global one, hand-written SQL, a
    /// transaction's start) whose connection was lost before any of it was
    /// written to the socket is retried once, on another connection, and
    /// this error is only seen if that fails too. One that was written is
    /// never retried: the server may have run it, and with it committed.
    /// Inside a transaction nothing is retried, since the transaction went
    /// with its connection: the server rolled it back, unless what was
    /// written was its `COMMIT`, which may have committed.
    #[error(
        "the database connection was lost {}: {}",
        if *sent { "after the statement was sent, so it may have run" } else { "before the statement was sent" },
        lost_cause(source, *io),
    )]
    ConnectionLost {
        /// Whether any of the statement was written to the connection. When
        /// `false`, the server never saw it: it did not run.
        sent: bool,
        /// How the connection's stream ended, when it did before the error
        /// was reported: the kind of its I/O error, or
        /// [`io::ErrorKind::UnexpectedEof`] when the server closed it.
        io: Option<io::ErrorKind>,
        /// The driver's error: the server's own when it said why (such as
        /// `57P01`, a terminated backend).
        #[source]
        source: tokio_postgres::Error,
    },
    /// The statement's message group, as the driver wrote it, was not one its
    /// tenant context can be added to (the Bind of another statement, a
    /// group of another shape, a malformed or unknown frame), or the server
    /// answered it in a way the context's answers cannot be told apart in
    /// (COPY FROM STDIN). The statement never ran without its context, and
    /// nothing of it was committed; the connection is discarded.
    #[error(
        "the statement's message group cannot carry its tenant context: expected {expected}, found {found}"
    )]
    UnrecognisedGroup {
        /// What the group was expected to hold.
        expected: String,
        /// What it held.
        found: String,
    },
    /// The tenant sent statements faster than its rate
    /// ([`Limits::rate`](crate::Limits::rate)) allows; nothing was sent.
    #[error("tenant {tenant} is over its statement rate: retry after {retry_after:?}")]
    RateLimited {
        /// The tenant.
        tenant: TenantId,
        /// When the rate allows its next statement.
        retry_after: Duration,
    },
    /// The tenant already runs as many statements as its limits allow
    /// ([`Limits::concurrent_statements`](crate::Limits::concurrent_statements),
    /// [`Limits::connection_share`](crate::Limits::connection_share)), and
    /// none ended within its queue; nothing was sent.
    #[error("tenant {tenant} already runs its {limit} concurrent statements (waited {waited:?})")]
    TooManyStatements {
        /// The tenant.
        tenant: TenantId,
        /// How many it may run at once.
        limit: usize,
        /// How long the call waited for one of them to end.
        waited: Duration,
    },
    /// The tenant's limits do not allow batch work
    /// ([`Limits::allow_batch`](crate::Limits::allow_batch)); nothing was sent.
    #[error("tenant {tenant} may not run batch work")]
    BatchNotAllowed {
        /// The tenant.
        tenant: TenantId,
    },
    /// No pooled connection became free in time.
    #[error("no database connection became available within {waited:?}")]
    PoolTimeout {
        /// How long the call waited.
        waited: Duration,
    },
    /// A new connection could not be opened: which address failed (the
    /// last one tried), why, and what the socket, the TLS handshake or the
    /// server said.
    #[error("cannot connect to {address}: {failure}: {}", connect_detail(source.as_ref()))]
    Connect {
        /// The address (`host:port` or socket path), or the hosts when
        /// none could be resolved.
        address: String,
        /// Why, in a form to match on.
        failure: ConnectFailure,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The pool was closed (its tenant database was dropped from the
    /// routes) while the call waited for a connection.
    #[error("the connection pool was closed")]
    PoolClosed,
    /// The configuration makes no routing choice and the main database has
    /// no tenant registry: tenantry cannot tell whether every tenant is in
    /// the shared tables, so it does not guess.
    #[error(
        "the main database has no tenant registry (schema {}), and the configuration does not say where tenants live: call `Config::pool_only` (TENANTRY_ROUTING=pool-only) if every tenant is in the shared tables, or set up the registry with the operator's migrations",
        CONTROL_SCHEMA
    )]
    RoutingNotChosen,
    /// The configuration routes through the registry (`Config::registry`),
    /// but the main database has none.
    #[error(
        "tenants are to be routed through the tenant registry, but the main database has none (schema {}): run the operator's migrations on it, or call `Config::pool_only` if every tenant is in the shared tables",
        CONTROL_SCHEMA
    )]
    NoRegistry,
    /// The configuration says every tenant is in the shared tables
    /// (`Config::pool_only`), but the main database's registry records
    /// tenants, who may live in a schema, a database or on another server.
    #[error(
        "the configuration routes every tenant to the shared tables (`Config::pool_only`), but the main database's tenant registry records tenants, who may live elsewhere: route through the registry (`Config::registry`, or no routing choice)"
    )]
    RegistryInUse,
    /// The registry has no tenant with this id.
    #[error("unknown tenant {id}")]
    UnknownTenant {
        /// The id asked for.
        id: TenantId,
    },
    /// The tenant exists but is not active (provisioning, suspended,
    /// moving); an erased one is [`Error::TenantErased`].
    #[error("tenant {id} is {status}, not active")]
    TenantNotActive {
        /// The tenant.
        id: TenantId,
        /// Its status.
        status: TenantStatus,
    },
    /// The tenant is being relocated: its writes are fenced while the last
    /// of its rows are copied and its registry row flips (reads keep
    /// working). Nothing was written; try again after `retry_after`, with a
    /// new handle if the retry gets [`Error::TenantMoved`].
    #[error("tenant {id} is being relocated: its writes are paused; retry after {retry_after:?}")]
    TenantMoving {
        /// The tenant.
        id: TenantId,
        /// How long to wait before trying again.
        retry_after: Duration,
    },
    /// The tenant was erased: its rows are gone, and its id and slug can
    /// never serve or be provisioned again.
    #[error("tenant {id} was erased; it can never serve again")]
    TenantErased {
        /// The tenant.
        id: TenantId,
    },
    /// The tenant was moved to another placement or server after this handle
    /// (or transaction) was made; its statements would go to the old place,
    /// where the write fence refuses them for good. Get a new handle with
    /// `Tenantry::tenant`.
    #[error("tenant {id} was moved since this handle was made; get a new handle")]
    TenantMoved {
        /// The tenant.
        id: TenantId,
    },
    /// A write in the tenant's context reached tables outside its own
    /// placement: another tenant's schema or database, or the shared pool
    /// when its rows live elsewhere. Nothing was written.
    #[error(
        "tenant {id} may not write outside its own placement: {}",
        server_message(source)
    )]
    OutsidePlacement {
        /// The tenant.
        id: TenantId,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Support access to a tenant was used past its expiry (see
    /// `Tenantry::support_access`): nothing ran and nothing was recorded.
    #[error("support access to tenant {id} has expired")]
    AccessExpired {
        /// The tenant.
        id: TenantId,
    },
    /// Support access was asked for without saying who or why (an empty
    /// actor, reason or ticket, or an expiry already past): nothing ran.
    #[error("invalid support access: {0}")]
    InvalidAccess(String),
    /// A tenant or configuration names a server that is not configured.
    #[error("unknown server {name:?}")]
    UnknownServer {
        /// The server name.
        name: String,
    },
    /// `commit` found the transaction aborted by a statement that failed in
    /// it earlier: it was rolled back and nothing of it was written.
    #[error("the transaction was rolled back: a statement in it failed, so nothing was committed")]
    TransactionAborted,
    /// Any other error reported by PostgreSQL.
    #[error("database error: {}", server_message(source))]
    Database {
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

impl std::fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConstraintKind::Unique => "unique",
            ConstraintKind::ForeignKey => "foreign key",
            ConstraintKind::Check => "check",
            ConstraintKind::NotNull => "not-null",
            ConstraintKind::Exclusion => "exclusion",
        })
    }
}

impl From<tenantry_query::Error> for Error {
    /// A missing row is [`Error::NotFound`]; the rest stays [`Error::Query`].
    fn from(error: tenantry_query::Error) -> Self {
        match error {
            tenantry_query::Error::NoRows { table } => Error::NotFound { table },
            other => Error::Query(other),
        }
    }
}

impl From<Unrecognised> for Error {
    fn from(unrecognised: Unrecognised) -> Self {
        Error::UnrecognisedGroup {
            expected: unrecognised.expected,
            found: unrecognised.found,
        }
    }
}

impl From<tokio_postgres::Error> for Error {
    /// The error of a statement, on an open session: a `FATAL` (or `PANIC`)
    /// error means the server ended the session, whatever its code
    /// (`57P01` terminated, `57P03` cannot connect now, `57P05` idle session
    /// timeout, `25P03` idle in transaction, ...), so the connection is lost.
    fn from(source: tokio_postgres::Error) -> Self {
        let ends_session = source.as_db_error().is_some_and(|db_error| {
            matches!(
                db_error.parsed_severity(),
                Some(Severity::Fatal | Severity::Panic)
            )
        });
        if source.is_closed() || ends_session {
            return Error::lost(source);
        }
        Error::reported(source)
    }
}

impl Error {
    /// The error of a tenant that may not serve in `status`:
    /// [`Error::TenantErased`] for an erased one, [`Error::TenantNotActive`]
    /// for any other.
    pub fn not_serving(id: TenantId, status: TenantStatus) -> Self {
        match status {
            TenantStatus::Erased => Error::TenantErased { id },
            status => Error::TenantNotActive { id, status },
        }
    }

    /// The error of opening a connection. The server refuses a connection
    /// with a `FATAL` error (authentication, unknown database, too many
    /// connections, starting up): that is no lost connection, unless the
    /// backend was terminated during the start-up.
    pub(crate) fn opening(source: tokio_postgres::Error) -> Self {
        let terminated = matches!(
            source.code(),
            Some(&SqlState::ADMIN_SHUTDOWN | &SqlState::CRASH_SHUTDOWN)
        );
        if source.is_closed() || terminated {
            return Error::ConnectionLost {
                sent: false,
                io: None,
                source,
            };
        }
        Error::reported(source)
    }

    /// A lost connection, before anything says whether the statement was
    /// sent: it may have been.
    fn lost(source: tokio_postgres::Error) -> Self {
        Error::ConnectionLost {
            sent: true,
            io: None,
            source,
        }
    }

    /// An error PostgreSQL reported, by its code.
    fn reported(source: tokio_postgres::Error) -> Self {
        let Some(db_error) = source.as_db_error() else {
            return Error::Database { source };
        };
        if let Some(fenced) = fenced(db_error) {
            return fenced(source);
        }
        if let Some(id) = expired(db_error) {
            return Error::AccessExpired { id };
        }
        let kind = match *db_error.code() {
            SqlState::UNIQUE_VIOLATION => Some(ConstraintKind::Unique),
            SqlState::FOREIGN_KEY_VIOLATION => Some(ConstraintKind::ForeignKey),
            SqlState::CHECK_VIOLATION => Some(ConstraintKind::Check),
            SqlState::NOT_NULL_VIOLATION => Some(ConstraintKind::NotNull),
            SqlState::EXCLUSION_VIOLATION => Some(ConstraintKind::Exclusion),
            _ => None,
        };
        if let Some(kind) = kind {
            return Error::Constraint {
                kind,
                constraint: db_error
                    .constraint()
                    .map(str::to_owned)
                    .or_else(|| constraint_in_message(db_error.message())),
                source,
            };
        }
        match *db_error.code() {
            SqlState::INSUFFICIENT_PRIVILEGE => Error::PermissionDenied { source },
            SqlState::QUERY_CANCELED if db_error.message() == STATEMENT_TIMEOUT_MESSAGE => {
                Error::StatementTimeout {
                    tenant: None,
                    limit: None,
                    source,
                }
            }
            SqlState::QUERY_CANCELED => Error::Cancelled { source },
            _ => Error::Database { source },
        }
    }
}

/// The constraint a message names (`... violates unique constraint
/// "invoices_pkey_102008"`), without a Citus shard's `_<shard id>` suffix:
/// errors a Citus coordinator relays from a worker give no constraint
/// field, and the worker's constraint is the shard's copy of the declared one.
fn constraint_in_message(message: &str) -> Option<String> {
    let (_, rest) = message.split_once(" constraint \"")?;
    let (name, _) = rest.split_once('"')?;
    let declared = name
        .rsplit_once('_')
        .filter(|(_, shard)| !shard.is_empty() && shard.bytes().all(|byte| byte.is_ascii_digit()))
        .map_or(name, |(declared, _)| declared);
    Some(declared.to_owned())
}

/// The tenant of an audited access the audit procedure refused as expired
/// (its detail is the tenant id).
fn expired(db_error: &DbError) -> Option<TenantId> {
    (db_error.code().code() == ACCESS_EXPIRED_STATE)
        .then(|| db_error.detail()?.parse().ok())
        .flatten()
}

/// The error of a write the residency fence refused (see
/// [`crate::residency`]): its detail is the tenant id, its hint the status
/// (`moving` while it is relocated, `moved` where it was relocated from).
fn fenced(db_error: &DbError) -> Option<impl FnOnce(tokio_postgres::Error) -> Error + use<>> {
    let state = db_error.code().code();
    if state != NOT_ACTIVE_STATE && state != OUTSIDE_PLACEMENT_STATE {
        return None;
    }
    let id: TenantId = db_error.detail()?.parse().ok()?;
    let refusal = match db_error.hint() {
        Some(MOVED_RESIDENCY) => Refusal::Moved,
        Some(hint) => Refusal::Status(hint.parse::<TenantStatus>().ok()?),
        None => Refusal::Outside,
    };
    Some(move |source| match refusal {
        Refusal::Status(TenantStatus::Moving) => Error::TenantMoving {
            id,
            retry_after: MOVING_RETRY_AFTER,
        },
        Refusal::Status(status) => Error::not_serving(id, status),
        Refusal::Moved => Error::TenantMoved { id },
        Refusal::Outside => Error::OutsidePlacement { id, source },
    })
}

/// Why the fence refused a write.
enum Refusal {
    /// The tenant is in this status here.
    Status(TenantStatus),
    /// The tenant was relocated from here.
    Moved,
    /// The write reached tables outside the tenant's placement.
    Outside,
}

/// What PostgreSQL says, in English, when a statement reaches its
/// `statement_timeout`; a cancel request (same code) says "due to user
/// request" instead.
const STATEMENT_TIMEOUT_MESSAGE: &str = "canceling statement due to statement timeout";

/// What the server said, or the I/O error and its kind, or the error.
fn connect_detail(source: &(dyn std::error::Error + 'static)) -> String {
    if let Some(driver) = source.downcast_ref::<tokio_postgres::Error>() {
        return server_message(driver);
    }
    match source.downcast_ref::<std::io::Error>() {
        Some(io) if io.get_ref().is_some() => format!("{io} ({})", io.kind()),
        _ => source.to_string(),
    }
}

/// Why a connection was lost: what the server said, when it said something,
/// else the driver's message and how the stream ended.
fn lost_cause(source: &tokio_postgres::Error, io: Option<io::ErrorKind>) -> String {
    match (source.as_db_error(), io) {
        (Some(db_error), _) => db_error.to_string(),
        (None, Some(kind)) => format!("{source} (I/O: {kind})"),
        (None, None) => source.to_string(),
    }
}

/// What the server said, when it said something (the driver's own message
/// for a database error is only "db error"), else the driver's message.
fn server_message(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db_error) => db_error.to_string(),
        None => error.to_string(),
    }
}

impl Error {
    /// This error, which came before the statement was sent (while it was
    /// prepared): a connection lost then did not carry it.
    pub(crate) fn unsent(self) -> Self {
        match self {
            Error::ConnectionLost { io, source, .. } => Error::ConnectionLost {
                sent: false,
                io,
                source,
            },
            other => other,
        }
    }

    /// Whether this is a connection lost before any of the statement was
    /// written to it: the statement did not run.
    pub(crate) fn never_sent(&self) -> bool {
        matches!(self, Error::ConnectionLost { sent: false, .. })
    }

    /// Whether the connection that produced this error must not be reused:
    /// it is lost, its stream refused a group it could not recognise, or a
    /// statement it had prepared is gone (dropped by hand-written SQL),
    /// which every later use would fail on too.
    pub(crate) fn poisons_connection(&self) -> bool {
        match self {
            Error::ConnectionLost { .. } | Error::UnrecognisedGroup { .. } => true,
            Error::Database { source } => {
                source.code() == Some(&SqlState::INVALID_SQL_STATEMENT_NAME)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::constraint_in_message;

    #[test]
    fn names_the_declared_constraint_of_a_shard() {
        let named = |message: &str| constraint_in_message(message);
        assert_eq!(
            named(r#"duplicate key value violates unique constraint "customers_pkey_102008""#),
            Some("customers_pkey".to_owned())
        );
        assert_eq!(
            named(
                r#"insert or update on table "invoices_102041" violates foreign key constraint "invoices_tenant_id_customer_id_fkey_102041""#
            ),
            Some("invoices_tenant_id_customer_id_fkey".to_owned())
        );
        assert_eq!(
            named(r#"new row for relation "t" violates check constraint "amount_positive""#),
            Some("amount_positive".to_owned())
        );
        assert_eq!(
            named(
                r#"null value in column "name" of relation "customers_102010" violates not-null constraint"#
            ),
            None
        );
    }
}
