//! Audited access to one tenant's data: the support handle.

use std::ops::Deref;
use std::sync::Arc;

use futures_util::stream::BoxStream;
use postgres_types::ToSql;
use tenantry_query::{Executor, Statement, TenantScoped};

use crate::Error;
use crate::access::terms::Access;
use crate::handles::row::PgRow;
use crate::handles::shared::Shared;
use crate::handles::tenant::TenantExecutor;
use crate::handles::transaction::TenantTransaction;
use crate::handles::transaction_options::TransactionOptions;
use crate::limits::work::Work;
use crate::routing::route::Route;

/// Runs the statements of an audited access: as the tenant's own executor
/// does (same routing, placement and context), each transaction recorded
/// in the audit log first and read-only.
#[derive(Clone, Debug)]
pub struct SupportExecutor(TenantExecutor);

impl Executor for SupportExecutor {
    type Error = Error;
    type Row = PgRow;
    type RowStream = BoxStream<'static, Result<PgRow, Error>>;

    async fn fetch(&self, statement: Statement) -> Result<Vec<PgRow>, Error> {
        self.0.fetch(statement).await
    }

    async fn execute(&self, statement: Statement) -> Result<u64, Error> {
        self.0.execute(statement).await
    }

    async fn stream(&self, statement: Statement) -> Result<Self::RowStream, Error> {
        self.0.stream(statement).await
    }
}

/// Audited, expiring, read-only access to one tenant's data, for someone
/// outside the tenant's own requests (support, an operator, analytics): see
/// [`Tenantry::support_access`](crate::Tenantry::support_access).
///
/// It builds statements on the tenant's entities like the tenant's handle
/// (it dereferences to [`TenantScoped`]), and runs them exactly as the
/// tenant's own are run, on the tenant's rows alone. The difference is the
/// audit: every transaction, and every statement outside one, first writes
/// a row to the audit log of the control schema (who, why, which ticket,
/// when), and nothing runs if that row cannot be written. For a single
/// statement where the tenant's rows share the control schema's database
/// (the main server's pool, or a schema there), the row is written by the
/// first statement of the tenant's own transaction, in the same round trip
/// (its rows are returned only once that commits). Anywhere else one
/// transaction cannot span both databases, and a transaction or a stream
/// delivers rows before it ends and may still roll back, so the row is
/// written and committed on the main server first, and stays recorded
/// however the use then ends. It is not a `Tenant`: nothing that takes a tenant's handle
/// takes it.
///
/// It is read-only: each transaction is made read-only once its audit row
/// is written, for good, so PostgreSQL refuses any write in it (SQLSTATE
/// 25006). Looking is what support needs and what the audit records; a
/// change to a tenant's data goes through the tenant's own requests or the
/// operator, each with its own checks and records. Hand-written SQL is
/// trusted code here too, not a sandbox: before PostgreSQL 16,
/// `RESET transaction_read_only` makes its transaction writable again
/// (still inside the audited transaction).
///
/// The audit log is locked from an audit row to the end of the transaction
/// that writes it, so that its chain stays linear: audited statements take
/// turns, and a wait for that lock fails after ten seconds, with nothing
/// run.
///
/// ```no_run
/// # use tenantry_postgres::{Access, Config, Tenantry};
/// # use tenantry_query::TenantId;
/// # async fn demo(tenant_id: TenantId) -> Result<(), tenantry_postgres::Error> {
/// let db = Tenantry::connect(Config::from_env()?).await?;
/// let access = Access {
///     actor: "ada@support".to_owned(),
///     reason: "invoice totals look wrong".to_owned(),
///     ticket: Some("SUP-1042".to_owned()),
///     expires: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
/// };
/// let support = db.support_access(tenant_id, access).await?;
/// let rows = support.raw_query("SELECT count(*) FROM invoices", &[]).await?;
/// # let _ = rows;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SupportAccess {
    scoped: TenantScoped<SupportExecutor>,
    access: Arc<Access>,
}

impl SupportAccess {
    pub(crate) fn new(route: Arc<Route>, shared: Arc<Shared>, access: Arc<Access>) -> Self {
        let scoped = TenantExecutor::scoped(route, shared, Some(access.clone()), Work::Request);
        let executor = SupportExecutor(scoped.executor().clone());
        Self {
            scoped: scoped.with_executor(executor),
            access,
        }
    }

    /// The terms the audit log records for every use.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Starts a read-only transaction in the tenant's context, its audit
    /// row written and committed first: it stays recorded however the
    /// transaction ends.
    pub async fn transaction(&self) -> Result<TenantTransaction, Error> {
        let executor = &self.scoped.executor().0;
        executor.transaction(&TransactionOptions::default()).await
    }

    /// Runs hand-written SQL in the tenant's context, audited, and returns
    /// its rows. Row-level security applies as for the tenant's own
    /// hand-written SQL (see [`Tenant::raw_query`](crate::Tenant::raw_query)).
    pub async fn raw_query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<PgRow>, Error> {
        self.scoped.executor().0.raw_query(sql, params).await
    }
}

impl Deref for SupportAccess {
    type Target = TenantScoped<SupportExecutor>;

    fn deref(&self) -> &Self::Target {
        &self.scoped
    }
}

impl std::fmt::Debug for SupportAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportAccess")
            .field("executor", &self.scoped.executor().0)
            .field("actor", &self.access.actor)
            .field("expires", &self.access.expires)
            .finish()
    }
}
