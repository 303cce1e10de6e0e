//! One observed call of a tenant: its span, its duration and outcome in the
//! metrics and the usage window.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use tenantry_query::{Operation, Statement, TenantId};
use tracing::field::Empty;
use tracing::{Instrument, Span};

use super::TenantTelemetry;
use super::attributes::DB_SYSTEM;
use super::error_kind::{Outcome, error_type, status_code};
use super::instruments;
use crate::Error;
use crate::contract::TENANTS_TABLE;

/// What a call runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum What<'a> {
    /// A statement a scope built.
    Built(&'a Statement),
    /// Hand-written SQL.
    Raw(&'a str),
}

/// `db.operation.name` of a built statement: the SQL command.
fn command(operation: Operation) -> &'static str {
    match operation {
        Operation::Select | Operation::Count | Operation::Exists => "SELECT",
        Operation::Insert => "INSERT",
        Operation::Update => "UPDATE",
        Operation::Delete => "DELETE",
    }
}

/// `db.query.summary`: the command and the table, formatted only when a
/// subscriber records it.
struct Summary(&'static str, &'static str);

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

/// A call of one tenant being observed.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    tenant: &'a TenantTelemetry,
    span: Span,
    /// The metrics' operation label.
    operation: &'static str,
}

impl TenantTelemetry {
    /// Starts observing a statement: its span is a child of the current
    /// one (a transaction's, when it runs in one).
    pub(crate) fn statement(&self, what: What<'_>) -> Call<'_> {
        let (operation, collection, sql) = match what {
            What::Built(statement) => (
                command(statement.operation()),
                Some(statement.table()),
                statement.sql(),
            ),
            What::Raw(sql) => ("RAW", None, sql),
        };
        let span = tracing::debug_span!(
            "tenantry.statement",
            db.system.name = DB_SYSTEM,
            db.namespace = &*self.namespace,
            db.operation.name = collection.map(|_| operation),
            db.collection.name = collection,
            db.query.summary = collection.map(|table| display(Summary(operation, table))),
            db.query.text = Empty,
            db.response.returned_rows = Empty,
            db.response.status_code = Empty,
            error.type = Empty,
            server.address = &*self.address,
            server.port = self.port,
            tenant.id = %self.id,
            tenant.tier = &*self.tier,
            tenantry.placement = self.placement,
        );
        if self.telemetry.config.query_text {
            span.record("db.query.text", sql);
        }
        Call {
            tenant: self,
            span,
            operation,
        }
    }

    /// The span of a transaction: its statements' spans are its children,
    /// and carry where it runs.
    pub(crate) fn transaction(&self) -> Span {
        tracing::debug_span!(
            "tenantry.transaction",
            db.system.name = DB_SYSTEM,
            error.type = Empty,
            tenant.id = %self.id,
            tenant.tier = &*self.tier,
            tenantry.placement = self.placement,
        )
    }

    /// Borrows a connection with `lease`, in a span of the wait, which the
    /// pool-wait metric records too.
    pub(crate) async fn pool_wait<L>(
        &self,
        lease: impl Future<Output = Result<L, Error>>,
        status: impl FnOnce(&L) -> (usize, usize),
    ) -> Result<L, Error> {
        let span = tracing::debug_span!(
            "tenantry.pool_wait",
            db.system.name = DB_SYSTEM,
            db.client.connection.pool.name = &*self.pool,
            error.type = Empty,
            tenant.id = %self.id,
            tenant.tier = &*self.tier,
            tenantry.placement = self.placement,
        );
        let started = Instant::now();
        let leased = lease.instrument(span.clone()).await;
        match &leased {
            Ok(lease) => {
                let name = self.label();
                instruments::pool_wait(self, name, started.elapsed(), status(lease));
            }
            Err(error) => {
                span.record("error.type", error_type(error));
            }
        }
        leased
    }

    /// The tenant's bounded metric label.
    fn label(&self) -> metrics::SharedString {
        self.telemetry.busiest.label(self, &self.telemetry.usage)
    }
}

/// Records `error` on `span` (a transaction's) as its `error.type`.
pub(crate) fn failed(span: &Span, error: &Error) {
    span.record("error.type", error_type(error));
}

impl Call<'_> {
    /// Runs `work` in the call's span, then records how it ended: the rows
    /// `rows` counts, or the error.
    pub(crate) async fn observe<T>(
        self,
        work: impl Future<Output = Result<T, Error>>,
        rows: impl FnOnce(&T) -> u64,
    ) -> Result<T, Error> {
        let started = Instant::now();
        let result = work.instrument(self.span.clone()).await;
        self.ended(&result, started.elapsed(), rows);
        result
    }

    fn ended<T>(&self, result: &Result<T, Error>, elapsed: Duration, rows: impl FnOnce(&T) -> u64) {
        let outcome = Outcome::of(result);
        let (rows, error) = match result {
            Ok(value) => (rows(value), None),
            Err(error) => (0, Some(error)),
        };
        let error_type = error.map(error_type);
        if !self.span.is_disabled() {
            match error {
                None => {
                    self.span.record("db.response.returned_rows", rows);
                }
                Some(error) => {
                    self.span.record("error.type", error_type);
                    self.span
                        .record("db.response.status_code", status_code(error));
                }
            }
        }
        let telemetry = &self.tenant.telemetry;
        telemetry.usage.record(self.tenant, elapsed, rows, outcome);
        let name = self.tenant.label();
        instruments::operation(
            self.tenant,
            name,
            self.operation,
            elapsed,
            error_type,
            outcome,
        );
    }
}

/// The span of a registry lookup of tenant `id` (a cache miss).
pub(crate) fn registry_lookup(id: TenantId) -> Span {
    tracing::debug_span!(
        "tenantry.registry_lookup",
        db.system.name = DB_SYSTEM,
        db.operation.name = "SELECT",
        db.collection.name = TENANTS_TABLE,
        error.type = Empty,
        tenant.id = %id,
    )
}
