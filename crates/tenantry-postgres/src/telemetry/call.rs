//! One observed call of a tenant: its span, its duration and outcome in the
//! metrics and the usage window.

use std::fmt;
use std::future::{Future, poll_fn};
use std::ops::Deref;
use std::pin::pin;
use std::time::Instant;

use futures_util::FutureExt;
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

impl<'a> What<'a> {
    /// Its command, `db.collection.name` (none for hand-written SQL) and
    /// the SQL text.
    pub(super) fn parts(self) -> (Command, Option<&'static str>, &'a str) {
        match self {
            What::Built(statement) => (
                Command::of(statement.operation()),
                Some(statement.table()),
                statement.sql(),
            ),
            What::Raw(sql) => (Command::Raw, None, sql),
        }
    }
}

/// What a statement does, as `db.operation.name` and the metrics'
/// operation label say it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Command {
    Select,
    Insert,
    Update,
    Delete,
    /// Hand-written SQL.
    Raw,
}

impl Command {
    /// How many commands there are.
    pub(super) const COUNT: usize = 5;

    /// The SQL command of a built statement.
    fn of(operation: Operation) -> Self {
        match operation {
            Operation::Select | Operation::Count | Operation::Exists => Command::Select,
            Operation::Insert => Command::Insert,
            Operation::Update => Command::Update,
            Operation::Delete => Command::Delete,
        }
    }

    /// `SELECT`, `INSERT`, ..., `RAW` for hand-written SQL.
    pub(super) fn name(self) -> &'static str {
        match self {
            Command::Select => "SELECT",
            Command::Insert => "INSERT",
            Command::Update => "UPDATE",
            Command::Delete => "DELETE",
            Command::Raw => "RAW",
        }
    }
}

/// `db.query.summary`: the command and the table, formatted only when a
/// subscriber records it.
pub(super) struct Summary(pub(super) &'static str, pub(super) &'static str);

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        f.write_str(" ")?;
        f.write_str(self.1)
    }
}

/// A call of one tenant being observed. `T` reaches the tenant's telemetry:
/// a borrow for a call that ends within its handle's method, an owner for
/// a row stream that outlives it.
#[derive(Debug)]
pub(crate) struct Call<T> {
    tenant: T,
    span: Span,
    /// The metrics' operation label.
    command: Command,
    started: Instant,
}

impl TenantTelemetry {
    /// Starts observing a statement: its span is a child of the current
    /// one (a transaction's, when it runs in one).
    pub(crate) fn statement(&self, what: What<'_>) -> Call<&Self> {
        Call::start(self, what)
    }

    /// The span of a transaction: its statements' spans are its children,
    /// and carry where it runs.
    pub(crate) fn transaction(&self) -> Span {
        tracing::debug_span!(
            "tenantry.transaction",
            db.system.name = DB_SYSTEM,
            error.type = Empty,
            tenant.id = %&*self.id_text,
            tenant.tier = &*self.tier,
            tenantry.placement = self.placement,
        )
    }

    /// Borrows a connection with `lease`; the pool-wait metric records how
    /// long that took. When the connection is not handed out at once (the
    /// lease's first poll is pending: the pool is busy, or opens one), the
    /// rest of the wait runs in a span of its own, which a connection
    /// handed out at once, not being a wait, does without. The future
    /// `lease` makes is made here, straight into the one that runs it (see
    /// [`Call::observe`]).
    pub(crate) async fn pool_wait<L, Fut>(
        &self,
        lease: impl FnOnce() -> Fut,
        status: impl FnOnce(&L) -> (usize, usize),
    ) -> Result<L, Error>
    where
        Fut: Future<Output = Result<L, Error>>,
    {
        let started = Instant::now();
        let mut waiting: Option<Span> = None;
        let mut lease = pin!(lease());
        let leased = poll_fn(|cx| match &waiting {
            Some(span) => span.in_scope(|| lease.as_mut().poll(cx)),
            None => {
                let polled = lease.as_mut().poll(cx);
                if polled.is_pending() {
                    waiting = Some(self.wait_span());
                }
                polled
            }
        })
        .await;
        match &leased {
            Ok(lease) => instruments::pool_wait(self, started.elapsed(), status(lease)),
            Err(error) => {
                if let Some(span) = &waiting {
                    span.record("error.type", error_type(error));
                }
            }
        }
        leased
    }

    /// The span of a wait for a connection.
    fn wait_span(&self) -> Span {
        tracing::debug_span!(
            "tenantry.pool_wait",
            db.system.name = DB_SYSTEM,
            db.client.connection.pool.name = &*self.pool,
            error.type = Empty,
            tenant.id = %&*self.id_text,
            tenant.tier = &*self.tier,
            tenantry.placement = self.placement,
        )
    }
}

/// Records `error` on `span` (a transaction's) as its `error.type`.
pub(crate) fn failed(span: &Span, error: &Error) {
    span.record("error.type", error_type(error));
}

/// Records how a statement ended on its span: the rows it returned or
/// affected, or its error's type and SQLSTATE.
pub(super) fn record_end(span: &Span, rows: u64, error: Option<&Error>) {
    if span.is_disabled() {
        return;
    }
    match error {
        None => {
            span.record("db.response.returned_rows", rows);
        }
        Some(error) => {
            span.record("error.type", error_type(error));
            span.record("db.response.status_code", status_code(error));
        }
    }
}

impl<T: Deref<Target = TenantTelemetry>> Call<T> {
    /// Starts observing `what`, a statement of the tenant `tenant` reaches.
    pub(crate) fn start(tenant: T, what: What<'_>) -> Self {
        let (command, collection, sql) = what.parts();
        let operation = command.name();
        let span = tracing::debug_span!(
            "tenantry.statement",
            db.system.name = DB_SYSTEM,
            db.namespace = &*tenant.namespace,
            db.operation.name = collection.map(|_| operation),
            db.collection.name = collection,
            db.query.summary = collection.map(|table| display(Summary(operation, table))),
            db.query.text = Empty,
            db.response.returned_rows = Empty,
            db.response.status_code = Empty,
            error.type = Empty,
            server.address = &*tenant.address,
            server.port = tenant.port,
            tenant.id = %&*tenant.id_text,
            tenant.tier = &*tenant.tier,
            tenantry.placement = tenant.placement,
        );
        if tenant.telemetry.config.query_text {
            span.record("db.query.text", sql);
        }
        Call {
            tenant,
            span,
            command,
            started: Instant::now(),
        }
    }

    /// The call's span.
    pub(crate) fn span(&self) -> &Span {
        &self.span
    }

    /// Runs the future `work` makes in the call's span, then records how it
    /// ended: the rows `rows` counts, or the error. The future is made here,
    /// straight into the one that runs it: a statement's future is large,
    /// and each move copies it.
    pub(crate) fn observe<R, Fut>(
        self,
        work: impl FnOnce() -> Fut,
        rows: impl FnOnce(&R) -> u64,
    ) -> impl Future<Output = Result<R, Error>>
    where
        Fut: Future<Output = Result<R, Error>>,
    {
        work().instrument(self.span.clone()).map(move |result| {
            match &result {
                Ok(value) => self.ended(rows(value), None),
                Err(error) => self.ended(0, Some(error)),
            }
            result
        })
    }

    /// Records how the call ended, `rows` returned or affected, or `error`:
    /// on its span (which then closes), in the usage window and in the
    /// metrics.
    pub(crate) fn ended(self, rows: u64, error: Option<&Error>) {
        let elapsed = self.started.elapsed();
        record_end(&self.span, rows, error);
        let outcome = Outcome::of(error);
        let tenant = &*self.tenant;
        tenant
            .telemetry
            .usage
            .record(tenant, elapsed, rows, outcome);
        let error_type = error.map(error_type);
        instruments::operation(tenant, self.command, elapsed, error_type, outcome);
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
