//! A pooled connection on loan, which only goes back to the pool clean.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use deadpool::managed::{Object, PoolError};

use super::manager::{BudgetedManager, ConnectError, Pool};
use crate::Error;
use crate::limits::admission::Admission;

/// A connection borrowed from the pool.
///
/// While a unit of work is in flight (between `BEGIN` and the end of its
/// transaction) the lease is *dirty*. Dropping a dirty lease (a cancelled
/// future, a lost connection, a transaction nobody ended) detaches the
/// connection from the pool and closes it, so the next borrower can never
/// inherit a transaction, a tenant context or half a pipeline; a statement
/// still running on the server is cancelled. A write whose call was dropped
/// after it was sent has an unknown outcome, as over a lost connection: its
/// transaction committed whole or not at all.
///
/// Hand-written SQL may also leave session state behind (a temporary table,
/// a session-level `SET`, `SET ROLE`, an advisory lock, a prepared statement
/// dropped or replaced). A lease that ran
/// any goes back to the pool marked, and the pool resets the connection's
/// session before its next borrower gets it.
pub(crate) struct Lease {
    object: Option<Object<BudgetedManager>>,
    dirty: AtomicBool,
    poisoned: AtomicBool,
    ran_raw_sql: AtomicBool,
    /// Statements whose calls started and have not ended: a call dropped
    /// half-way never ends, so its statement counts as in flight for good.
    statements_in_flight: AtomicUsize,
    /// The bytes the connection had written when the current statement was
    /// about to be sent (see [`Lease::sending`]).
    written_before: AtomicU64,
    /// What the tenant's limits let through, held until the connection is
    /// back (`None` outside a tenant's context).
    admission: Option<Admission>,
}

impl Lease {
    /// Borrows a connection, waiting at most `wait` for one.
    pub(crate) async fn acquire(pool: &Pool, wait: Duration) -> Result<Self, Error> {
        let object = pool.get().await.map_err(|error| match error {
            PoolError::Timeout(_) | PoolError::Backend(ConnectError::BudgetSpent) => {
                Error::PoolTimeout { waited: wait }
            }
            PoolError::Backend(ConnectError::Postgres(error)) => Error::opening(error),
            PoolError::Backend(ConnectError::Open(error)) => error,
            PoolError::Backend(ConnectError::PrivilegedRole(role)) => {
                Error::PrivilegedRole { role }
            }
            PoolError::Closed => Error::PoolClosed,
            PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_) => {
                unreachable!("pools are built with a runtime and no hooks")
            }
        })?;
        let written = object.traffic().written();
        Ok(Self {
            object: Some(object),
            dirty: AtomicBool::new(false),
            poisoned: AtomicBool::new(false),
            ran_raw_sql: AtomicBool::new(false),
            statements_in_flight: AtomicUsize::new(0),
            written_before: AtomicU64::new(written),
            admission: None,
        })
    }

    /// The lease of a tenant's statement that `admission` let through.
    pub(crate) fn admitted(mut self, admission: Admission) -> Self {
        self.admission = Some(admission);
        self
    }

    /// The connection.
    pub(crate) fn client(&self) -> &Object<BudgetedManager> {
        self.object
            .as_ref()
            .expect("the connection is only taken when the lease is dropped")
    }

    /// The connections of the lease's pool now: (used, idle).
    pub(crate) fn pool_status(&self) -> (usize, usize) {
        let status = Object::pool(self.client()).map(|pool| pool.status());
        status.map_or((1, 0), |status| {
            (status.size - status.available, status.available)
        })
    }

    /// Whether prepared statements may be cached on this connection (not
    /// behind a transaction-mode pooler).
    pub(crate) fn caches_statements(&self) -> bool {
        self.client().statements().is_some()
    }

    /// Marks the start of a unit of work: the connection may now be inside a
    /// transaction.
    pub(crate) fn begin_work(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// Whether a unit of work is in flight.
    pub(crate) fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Runs `statement`, one of several requests of a longer unit of work
    /// (a transaction). If the call is dropped before it ends, its requests
    /// may still be queued: [`Lease::has_statement_in_flight`] says so.
    /// Statements are counted, not flagged: with several in flight at once,
    /// one that ends first leaves the others counted.
    pub(crate) async fn track<T>(&self, statement: impl Future<Output = T>) -> T {
        self.statements_in_flight.fetch_add(1, Ordering::AcqRel);
        let outcome = statement.await;
        self.statements_in_flight.fetch_sub(1, Ordering::AcqRel);
        outcome
    }

    /// Whether a statement's call started and has not ended (it was dropped,
    /// or it still runs).
    pub(crate) fn has_statement_in_flight(&self) -> bool {
        self.statements_in_flight.load(Ordering::Acquire) > 0
    }

    /// Records that hand-written SQL runs on this connection, so that its
    /// session is reset before the next borrower.
    pub(crate) fn runs_raw_sql(&self) {
        self.ran_raw_sql.store(true, Ordering::Release);
    }

    /// Marks the end of a unit of work; an `outcome` that says the connection
    /// itself failed is recorded with [`Lease::failed`].
    pub(crate) fn end_work<T>(&self, outcome: Result<T, Error>) -> Result<T, Error> {
        let outcome = outcome.map_err(|error| self.failed(error));
        self.dirty.store(false, Ordering::Release);
        outcome
    }

    /// Marks the moment a statement is about to be sent (prepared, its
    /// values checked): if the connection is lost without writing anything
    /// more, the statement never reached the server. Until a lease's first
    /// statement, nothing it wrote ran anything.
    pub(crate) fn sending(&self) {
        let written = self.client().traffic().written();
        self.written_before.store(written, Ordering::Release);
    }

    /// Records `error`; if it says the connection itself failed, the
    /// connection is closed when the lease ends, whatever succeeds meanwhile.
    /// A lost connection's error gets what the connection knows: how its
    /// stream ended, and whether it wrote anything since the statement was
    /// about to be sent.
    pub(crate) fn failed(&self, error: Error) -> Error {
        if error.poisons_connection() {
            self.poisoned.store(true, Ordering::Release);
        }
        match error {
            Error::ConnectionLost { sent, io, source } => {
                let traffic = self.client().traffic();
                Error::ConnectionLost {
                    sent: sent && traffic.written() > self.written_before.load(Ordering::Acquire),
                    io: io.or(traffic.ended()),
                    source,
                }
            }
            other => match &self.admission {
                Some(admission) => admission.explain(other),
                None => other,
            },
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(mut object) = self.object.take() else {
            return;
        };
        if self.is_dirty() || self.poisoned.load(Ordering::Acquire) {
            tracing::debug!("closing a connection released in the middle of a unit of work");
            Object::take(object).close_mid_statement();
        } else if self.ran_raw_sql.load(Ordering::Acquire) {
            object.reset_session_before_reuse();
        }
    }
}
