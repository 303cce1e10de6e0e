//! Recording each use of an access before anything of it runs.
//!
//! For a single statement whose rows reach the caller only once its
//! transaction has committed, where the tenant's rows are in the database
//! that holds the control schema (the main server's pool tables or a schema
//! there), the audit procedure is called among the statements that open the
//! transaction, after the tenant context and before anything else: the row
//! is written in the transaction it records, in the same round trip, and if
//! it cannot be written the server skips the rest and rolls the transaction
//! back. Everywhere else the row is written first, on the main server, and
//! committed before the tenant's transaction starts: where the tenant's
//! rows are elsewhere (a tenant database, or another server), since one
//! transaction cannot span both databases; and for a transaction or a
//! stream, whose rows reach the caller before it ends and which may then
//! roll back (by the caller's choice, a later failure, or a drop), taking
//! an audit row written in it along. Nothing runs unless the row was
//! written, and a use that then fails (the tenant's server is down, say)
//! stays recorded, as the attempt it was.
//!
//! Either way, the transaction is then made read-only
//! (`SET LOCAL transaction_read_only = on`, which may follow the audit's
//! insert, where `BEGIN READ ONLY` would refuse it), and a query that
//! returns nothing takes the transaction's first snapshot: from then on
//! PostgreSQL refuses to make it read-write again (`SET LOCAL
//! transaction_read_only = off`, `SET TRANSACTION READ WRITE`). One way
//! remains before PostgreSQL 16: `RESET transaction_read_only` skips that
//! check. Hand-written SQL is trusted code, not a sandbox (as on the
//! tenant's own handle): what it writes that way is still written inside a
//! transaction whose audit row came first.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use crate::Error;
use crate::access::terms::Access;
use crate::config::MAIN_SERVER;
use crate::context::pipeline;
use crate::context::start::{NO_CONTEXT, TransactionStart};
use crate::contract::{CONTROL_SCHEMA, SUPPORT_ACCESS_RECORD};
use crate::handles::shared::Shared;
use crate::placement::Placement;
use crate::routing::route::Route;

/// Makes the rest of the transaction read-only.
const READ_ONLY: &str = "SET LOCAL transaction_read_only = on";

/// Takes the transaction's first snapshot, after which it cannot be made
/// read-write again; returns no row.
const FIRST_SNAPSHOT: &str = "SELECT WHERE false";

/// The audit procedure's call with its terms bound, for a row written ahead.
static RECORD_AHEAD: LazyLock<String> =
    LazyLock::new(|| format!("CALL {CONTROL_SCHEMA}.{SUPPORT_ACCESS_RECORD}($1, $2, $3, $4, $5)"));

/// How the rows of an audited unit of work reach the caller, which decides
/// where its audit row may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Once its transaction has committed (a single statement): the audit
    /// row may be written in that transaction.
    AfterCommit,
    /// Before its transaction ends (a transaction, a stream), which may then
    /// roll back: the audit row is committed first.
    BeforeCommit,
}

/// The start of one transaction on `route` under `access` (see
/// [`audited_start`]), as a boxed future: made in a frame of its own, only
/// for an audited access, so that it is laid out neither in every
/// statement's future nor on the stack of the tenant's own statements.
pub(crate) fn boxed_audited_start<'a>(
    access: &'a Access,
    route: &'a Route,
    shared: &'a Shared,
    delivery: Delivery,
) -> Pin<Box<dyn Future<Output = Result<TransactionStart, Error>> + Send + 'a>> {
    Box::pin(audited_start(access, route, shared, delivery))
}

/// The start of one transaction on `route` under `access`, once the access
/// is checked to be current: the tenant's own start, then the audit call
/// (or, for rows outside the control schema's database or delivered before
/// the commit, the audit row written and committed first) and the switch
/// to read-only, for good.
async fn audited_start(
    access: &Access,
    route: &Route,
    shared: &Shared,
    delivery: Delivery,
) -> Result<TransactionStart, Error> {
    access.ensure_current(route.tenant)?;
    let opening = &route.begin.hand_written;
    if delivery == Delivery::AfterCommit && beside_control_schema(route) {
        let call = access.record_call(route.tenant);
        return Ok(opening.followed_by(&[&call, READ_ONLY, FIRST_SNAPSHOT]));
    }
    record_ahead(access, route, shared).await?;
    Ok(opening.followed_by(&[READ_ONLY, FIRST_SNAPSHOT]))
}

/// Whether the tenant's rows are in the database of the control schema,
/// so that its statements and their audit row can share a transaction.
fn beside_control_schema(route: &Route) -> bool {
    route.server.name == MAIN_SERVER && !matches!(route.placement, Placement::Database(_))
}

/// Writes the audit row of one use on the main server, in a transaction of
/// its own, committed when this returns.
async fn record_ahead(access: &Access, route: &Route, shared: &Shared) -> Result<(), Error> {
    let lease = shared.servers.main().lease().await?;
    pipeline::execute(
        &lease,
        &NO_CONTEXT,
        &RECORD_AHEAD,
        &[
            &route.tenant.as_uuid(),
            &access.actor,
            &access.reason,
            &access.ticket,
            &access.expires,
        ],
    )
    .await?;
    Ok(())
}
