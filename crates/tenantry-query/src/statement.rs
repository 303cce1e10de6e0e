//! A built statement: SQL text, bind values, and what it is about.

use std::fmt;

use sea_query::{PostgresQueryBuilder, QueryStatementWriter, Value};

use crate::scope::Scope;
use crate::{Error, TenantId};

/// What kind of statement was built, for tracing and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `SELECT` of rows or columns.
    Select,
    /// `SELECT COUNT(*)`.
    Count,
    /// `SELECT EXISTS(...)`.
    Exists,
    /// `INSERT`, including upserts.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

impl Operation {
    /// The lower-case name (`"select"`, `"insert"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Select => "select",
            Operation::Count => "count",
            Operation::Exists => "exists",
            Operation::Insert => "insert",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// PostgreSQL SQL with `$n` placeholders and the values to bind to them.
/// Values are never part of the SQL text.
///
/// Only the builders make statements, and nothing changes one afterwards:
/// an executor runs exactly what a scope built, never SQL put together by
/// hand (that is what the explicitly named raw-SQL calls are for).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sql: String,
    values: Vec<Value>,
    table: &'static str,
    operation: Operation,
    scope: Scope,
}

impl Statement {
    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The bind values, `$1` first.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The table of the statement's main entity.
    pub fn table(&self) -> &'static str {
        self.table
    }

    /// What the statement does.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The tenant whose scope built it; `None` for the global handle.
    pub fn tenant(&self) -> Option<TenantId> {
        self.scope.tenant()
    }

    /// Refuses the statement unless `scope` built it (the same tenant, and
    /// the same schema): what an executor checks before running it.
    pub fn ensure_built_for(&self, scope: &Scope) -> Result<(), Error> {
        if self.scope == *scope {
            return Ok(());
        }
        Err(Error::ForeignStatement {
            built_for: self.scope.describe(),
            executor: scope.describe(),
        })
    }

    /// Renders `query` for PostgreSQL: the `operation` on `table` that
    /// `scope` built.
    pub(crate) fn render(
        query: &impl QueryStatementWriter,
        table: &'static str,
        operation: Operation,
        scope: &Scope,
    ) -> Self {
        let (sql, values) = query.build(PostgresQueryBuilder);
        Self {
            sql,
            values: values.0,
            table,
            operation,
            scope: scope.clone(),
        }
    }
}
