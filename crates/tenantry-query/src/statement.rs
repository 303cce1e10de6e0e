//! A built statement: SQL text, bind values, and what it is about.

use std::fmt;

use postgres_types::ToSql;
use sea_query::{PostgresQueryBuilder, QueryStatementWriter, Value};

use crate::bind::{OpenValue, OpenValues};

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
#[derive(Debug, Clone)]
pub struct Statement {
    sql: String,
    values: Vec<Value>,
    /// The values encoded by their own `ToSql`, by position (empty if none).
    open: Vec<Option<OpenValue>>,
    table: &'static str,
    operation: Operation,
    scope: Scope,
}

impl Statement {
    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The bind values, `$1` first. A value of a type bound by its own
    /// `ToSql` (a chrono date, a `Decimal`, an enum, ...) stands here as a
    /// `Value::Unsigned` marker; [`Statement::open_value`] gives the value.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The value at `position` (`0` for `$1`) when its type binds it with its
    /// own `ToSql`, as executors encode it; `None` for the others.
    pub fn open_value(&self, position: usize) -> Option<&(dyn ToSql + Sync)> {
        match self.open.get(position) {
            Some(Some(value)) => Some(&**value),
            _ => None,
        }
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
    /// `scope` built, with the `open` values its markers stand for.
    pub(crate) fn render(
        query: &impl QueryStatementWriter,
        table: &'static str,
        operation: Operation,
        scope: &Scope,
        open: &OpenValues,
    ) -> Result<Self, Error> {
        let (sql, values) = query.build(PostgresQueryBuilder);
        Ok(Self {
            open: open.resolve(&values.0)?,
            sql,
            values: values.0,
            table,
            operation,
            scope: scope.clone(),
        })
    }
}
