//! A built statement: SQL text, bind values, and what it is about.

use std::fmt;

use sea_query::{PostgresQueryBuilder, QueryStatementWriter, Value};

use crate::TenantId;
use crate::scope::Scope;

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
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// The bind values, `$1` first.
    pub values: Vec<Value>,
    /// The table of the statement's main entity.
    pub table: &'static str,
    /// What the statement does.
    pub operation: Operation,
    /// The tenant whose scope built it; `None` for the global handle.
    pub tenant: Option<TenantId>,
}

impl Statement {
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
            tenant: scope.tenant(),
        }
    }
}
