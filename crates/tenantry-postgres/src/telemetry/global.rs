//! The spans of statements outside any tenant: those of global entities,
//! on the main server's own database.

use std::future::Future;

use tenantry_query::Statement;
use tracing::field::Empty;
use tracing::{Instrument, Span};

use super::attributes::DB_SYSTEM;
use super::call::{Summary, What, record_end};
use super::tenant::endpoint;
use crate::Error;
use crate::options::ConnectOptions;

/// `tenantry.placement` of a global statement.
const GLOBAL: &str = "global";

/// What the span of every global statement carries, worked out once.
#[derive(Debug)]
pub(crate) struct GlobalTelemetry {
    query_text: bool,
    namespace: Box<str>,
    address: Box<str>,
    port: u16,
}

impl GlobalTelemetry {
    /// The attributes of statements on the database `options` connect to,
    /// with the SQL text if `query_text`.
    pub(crate) fn new(options: &ConnectOptions, query_text: bool) -> Self {
        let (database, address, port) = endpoint(options);
        Self {
            query_text,
            namespace: database.into(),
            address,
            port,
        }
    }

    /// The span of `statement`: the attributes of a tenant's statement, but
    /// no tenant, and `global` for the placement.
    fn span(&self, statement: &Statement) -> Span {
        let (command, collection, sql) = What::Built(statement).parts();
        let operation = command.name();
        let span = tracing::debug_span!(
            "tenantry.statement",
            db.system.name = DB_SYSTEM,
            db.namespace = &*self.namespace,
            db.operation.name = operation,
            db.collection.name = collection,
            db.query.summary = collection.map(|table| display(Summary(operation, table))),
            db.query.text = Empty,
            db.response.returned_rows = Empty,
            db.response.status_code = Empty,
            error.type = Empty,
            server.address = &*self.address,
            server.port = self.port,
            tenantry.placement = GLOBAL,
        );
        if self.query_text {
            span.record("db.query.text", sql);
        }
        span
    }

    /// Runs the future `work` makes, which runs `statement`, in the
    /// statement's span, then records how it ended: the rows `rows` counts,
    /// or the error.
    pub(crate) async fn observe<R, Fut>(
        &self,
        statement: &Statement,
        work: impl FnOnce() -> Fut,
        rows: impl FnOnce(&R) -> u64,
    ) -> Result<R, Error>
    where
        Fut: Future<Output = Result<R, Error>>,
    {
        let span = self.span(statement);
        let result = work().instrument(span.clone()).await;
        match &result {
            Ok(value) => record_end(&span, rows(value), None),
            Err(error) => record_end(&span, 0, Some(error)),
        }
        result
    }
}
