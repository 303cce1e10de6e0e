//! The error type of the query layer.

use crate::TenantId;

/// Everything that can go wrong while building a statement or reading its rows.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name that cannot be used as a schema or database identifier.
    #[error("invalid identifier {name:?}: {reason}")]
    InvalidIdentifier {
        /// The rejected input.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A subquery built by one scope was used in a statement of another (another
    /// tenant, or the same tenant placed elsewhere). Refused: it would read
    /// across tenants.
    #[error("a subquery built for {subquery} was used in a statement for {statement}")]
    ScopeMismatch {
        /// The scope of the outer statement.
        statement: String,
        /// The scope the subquery was built for.
        subquery: String,
    },
    /// A statement built by one scope was handed to the executor of another
    /// (another tenant, or the global handle). Refused: it would run with a
    /// tenant condition that is not the executor's tenant context.
    #[error("a statement built for {built_for} was given to the executor of {executor}")]
    ForeignStatement {
        /// The scope that built the statement.
        built_for: String,
        /// The scope of the executor it was given to.
        executor: String,
    },
    /// A hand-made `Insertable` or column handle tried to set the tenant
    /// column itself (which would write or move a row into another tenant).
    #[error("a statement on `{table}` sets the tenant column `{column}`; the scope supplies it")]
    TenantColumnSet {
        /// The table of the insert.
        table: &'static str,
        /// The tenant column.
        column: &'static str,
    },
    /// An UPDATE with no column to set.
    #[error("an UPDATE of `{table}` sets no column")]
    EmptyUpdate {
        /// The table of the update.
        table: &'static str,
    },
    /// An INSERT of no rows.
    #[error("an INSERT into `{table}` has no rows")]
    EmptyInsert {
        /// The table of the insert.
        table: &'static str,
    },
    /// Two open values of one statement got the same id (the process-wide
    /// counter wrapped round while the statement was being built); the
    /// statement is refused rather than bind a value in the wrong place.
    #[error("two bind values of one statement got the same id; build the statement again")]
    OpenValueClash,
    /// A value in a result row could not be read into its Rust type.
    #[error("cannot read column {column} of `{table}`: {source}")]
    Decode {
        /// The table (or `"query"` for a column list) being read.
        table: &'static str,
        /// The column's position in the row.
        column: usize,
        /// The driver's conversion error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A statement expected to return exactly one row returned none.
    #[error("no `{table}` row matched")]
    NoRows {
        /// The table queried.
        table: &'static str,
    },
    /// A statement expected to return at most one row returned more.
    #[error("{count} `{table}` rows matched where at most one was expected")]
    TooManyRows {
        /// The table queried.
        table: &'static str,
        /// How many rows came back.
        count: usize,
    },
}

impl Error {
    /// The tenant a scope mismatch names, for messages.
    pub(crate) fn describe_scope(tenant: Option<TenantId>, schema: Option<&str>) -> String {
        match (tenant, schema) {
            (Some(tenant), Some(schema)) => format!("tenant {tenant} in schema {schema}"),
            (Some(tenant), None) => format!("tenant {tenant} in the shared tables"),
            (None, _) => "the global scope".to_owned(),
        }
    }
}
