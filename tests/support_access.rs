//! Audited support access against real servers, as the application role:
//! every use writes one row to the audit log (per transaction, per
//! statement outside one, per tenant across tenants), in the tenant's
//! transaction where its rows share the control schema's database and
//! committed first where they do not; nothing runs when that row cannot be
//! written; an expired access is refused; the log is append-only and its
//! hash chain finds a row changed, removed or inserted out of the chain.

mod support;

use futures_util::StreamExt;
use futures_util::future::join_all;
use tenantry::ops::PlacementKind;
use tenantry::ops::audit::{AuditFilter, LinkProblem};
use tenantry::{Access, Error, MAIN_SERVER, TenantId, Tenantry};
use time::{Duration, OffsetDateTime};
use tokio_postgres::error::SqlState;

use support::Customer;
use support::placements::SECOND;
use support::tenants::Tenants;

/// A pool tenant beside the control schema (its audit row goes into its own
/// transaction) and a database tenant on the second server (its audit row is
/// committed first on the main server).
const SPOTS: [support::tenants::Spot; 2] = [
    ("pool", PlacementKind::Pool, MAIN_SERVER),
    ("remote", PlacementKind::Database, SECOND),
];

/// The procedure's signature, for grants.
const PROCEDURE: &str =
    "tenantry_control.record_support_access(uuid, text, text, text, timestamptz)";

fn access_for(minutes: i64) -> Access {
    Access {
        actor: "ada@support".to_owned(),
        reason: "invoice totals look wrong".to_owned(),
        ticket: Some("SUP-1042".to_owned()),
        expires: OffsetDateTime::now_utc() + Duration::minutes(minutes),
    }
}

/// Provisions `SPOTS`, gives each tenant a customer named for it, and
/// connects as the application role.
async fn setting() -> (Tenantry, Tenants) {
    let tenants = Tenants::provision(&SPOTS).await;
    let db = tenants.connect().await;
    for placed in &tenants.placed {
        db.tenant(placed.record.id)
            .await
            .unwrap()
            .insert(support::NewCustomer::named(placed.label))
            .exec()
            .await
            .unwrap();
    }
    (db, tenants)
}

/// How many audit rows `tenant` has.
async fn recorded(tenants: &Tenants, tenant: TenantId) -> usize {
    let filter = AuditFilter {
        tenant: Some(tenant),
    };
    tenants
        .world
        .operator
        .audit_log(&filter)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn each_transaction_and_each_statement_outside_one_is_recorded_once() {
    let (db, tenants) = setting().await;
    let access = access_for(10);
    for placed in &tenants.placed {
        let id = placed.record.id;
        let support = db.support_access(id, access.clone()).await.unwrap();
        assert_eq!(recorded(&tenants, id).await, 0, "{}", placed.label);

        let customers = support.select::<Customer>().all().await.unwrap();
        assert_eq!(customers.len(), 1);
        assert_eq!(customers[0].name, placed.label);
        assert_eq!(
            recorded(&tenants, id).await,
            1,
            "{}: a built statement",
            placed.label
        );

        let rows = support
            .raw_query("SELECT DISTINCT tenant_id FROM customers", &[])
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            recorded(&tenants, id).await,
            2,
            "{}: hand-written SQL",
            placed.label
        );

        let transaction = support.transaction().await.unwrap();
        for _ in 0..3 {
            let seen = transaction.select::<Customer>().all().await.unwrap();
            assert_eq!(seen.len(), 1);
        }
        transaction.commit().await.unwrap();
        assert_eq!(
            recorded(&tenants, id).await,
            3,
            "{}: one row for a transaction of three statements",
            placed.label
        );

        let filter = AuditFilter { tenant: Some(id) };
        let log = tenants.world.operator.audit_log(&filter).await.unwrap();
        let app_role = &tenants.world.main.app_role;
        for entry in &log {
            assert_eq!(entry.tenant, id);
            assert_eq!(entry.actor, access.actor);
            assert_eq!(entry.reason, access.reason);
            assert_eq!(entry.ticket, access.ticket);
            assert_eq!(
                entry.expires_at.unix_timestamp_nanos() / 1_000,
                access.expires.unix_timestamp_nanos() / 1_000
            );
            assert_eq!(&entry.recorded_by, app_role);
            assert!(entry.accessed_at <= OffsetDateTime::now_utc());
        }
    }

    // Across tenants: one row per tenant touched.
    let ids: Vec<TenantId> = tenants
        .placed
        .iter()
        .map(|placed| placed.record.id)
        .collect();
    let across = db.across_tenants(ids.clone(), access).await.unwrap();
    let owners = across
        .each(async |tenant| {
            let rows = tenant
                .raw_query("SELECT DISTINCT tenant_id FROM customers", &[])
                .await?;
            Ok(rows
                .iter()
                .map(|row| row.get::<_, uuid::Uuid>(0))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap();
    for (id, seen) in owners {
        assert_eq!(
            seen,
            [id.as_uuid()],
            "across tenants, {id} saw only its rows"
        );
        assert_eq!(recorded(&tenants, id).await, 4);
    }
    let verification = tenants.world.operator.verify_audit().await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.intact, 8);
}

/// Rows a support access has read stay recorded however their unit of work
/// ends: a transaction rolled back (by the caller, or by a later failure),
/// a stream dropped after its first row.
#[tokio::test]
async fn rows_read_stay_recorded_when_their_transaction_rolls_back() {
    let (db, tenants) = setting().await;
    for placed in &tenants.placed {
        let id = placed.record.id;
        let support = db.support_access(id, access_for(10)).await.unwrap();

        let transaction = support.transaction().await.unwrap();
        let seen = transaction.select::<Customer>().all().await.unwrap();
        assert_eq!(seen[0].name, placed.label);
        transaction.rollback().await.unwrap();
        assert_eq!(
            recorded(&tenants, id).await,
            1,
            "{}: a transaction rolled back",
            placed.label
        );

        let transaction = support.transaction().await.unwrap();
        let seen = transaction.select::<Customer>().all().await.unwrap();
        assert_eq!(seen[0].name, placed.label);
        transaction
            .raw_query("SELECT 1 / 0", &[])
            .await
            .unwrap_err();
        let committed = transaction.commit().await;
        assert!(
            matches!(committed, Err(Error::TransactionAborted)),
            "{committed:?}"
        );
        assert_eq!(
            recorded(&tenants, id).await,
            2,
            "{}: a transaction a failure aborted",
            placed.label
        );

        let transaction = support.transaction().await.unwrap();
        let seen = transaction.select::<Customer>().all().await.unwrap();
        assert_eq!(seen[0].name, placed.label);
        drop(transaction);
        assert_eq!(
            recorded(&tenants, id).await,
            3,
            "{}: a transaction dropped",
            placed.label
        );

        let mut rows = support.select::<Customer>().stream().await.unwrap();
        let first = rows.next().await.unwrap().unwrap();
        assert_eq!(first.name, placed.label);
        drop(rows);
        assert_eq!(
            recorded(&tenants, id).await,
            4,
            "{}: a stream dropped after its first row",
            placed.label
        );
    }
    let verification = tenants.world.operator.verify_audit().await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
}

#[tokio::test]
async fn a_support_access_writes_nothing() {
    let (db, tenants) = setting().await;
    for placed in &tenants.placed {
        let support = db
            .support_access(placed.record.id, access_for(10))
            .await
            .unwrap();
        let written = support
            .raw_query("UPDATE customers SET name = 'changed' RETURNING id", &[])
            .await;
        let error = written.expect_err("a write through support access");
        assert_eq!(
            read_only_refusal(&error),
            Some(&SqlState::READ_ONLY_SQL_TRANSACTION),
            "{}: {error}",
            placed.label
        );
        let transaction = support.transaction().await.unwrap();
        let written = transaction.raw_execute("DELETE FROM customers", &[]).await;
        assert!(
            written.is_err(),
            "{}: a delete in a support transaction",
            placed.label
        );
        drop(transaction);
        // Nor can hand-written SQL switch the transaction back to writing.
        for switch in [
            "SET LOCAL transaction_read_only = off",
            "SET TRANSACTION READ WRITE",
        ] {
            let transaction = support.transaction().await.unwrap();
            let switched = transaction.raw_execute(switch, &[]).await;
            let written = transaction
                .raw_execute("UPDATE customers SET name = 'changed'", &[])
                .await;
            assert!(
                switched.is_err() && written.is_err(),
                "{}: {switch} gave {switched:?}, then the update {written:?}",
                placed.label
            );
        }
        let tenant = db.tenant(placed.record.id).await.unwrap();
        let names: Vec<String> = tenant
            .select::<Customer>()
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|customer| customer.name)
            .collect();
        assert_eq!(names, [placed.label]);
    }
}

/// The SQLSTATE of the server's error behind `error`.
fn read_only_refusal(error: &Error) -> Option<&SqlState> {
    std::error::Error::source(error)?
        .downcast_ref::<tokio_postgres::Error>()?
        .code()
}

#[tokio::test]
async fn nothing_runs_when_the_audit_row_cannot_be_written() {
    let (db, tenants) = setting().await;
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    let app_role = &tenants.world.main.app_role;
    admin
        .batch_execute(&format!(
            "REVOKE EXECUTE ON PROCEDURE {PROCEDURE} FROM {app_role}"
        ))
        .await
        .unwrap();
    for placed in &tenants.placed {
        let support = db
            .support_access(placed.record.id, access_for(10))
            .await
            .unwrap();
        // Were it run, the statement would fail on its own division by zero:
        // the error is the audit's.
        let read = support.raw_query("SELECT 1 / 0 FROM customers", &[]).await;
        match read {
            Err(Error::PermissionDenied { .. }) => {}
            other => panic!("{}: {other:?}", placed.label),
        }
        let built = support.select::<Customer>().all().await;
        assert!(
            matches!(built, Err(Error::PermissionDenied { .. })),
            "{}: {built:?}",
            placed.label
        );
        let transaction = support.transaction().await;
        assert!(
            matches!(transaction, Err(Error::PermissionDenied { .. })),
            "{}: {transaction:?}",
            placed.label
        );
        assert_eq!(recorded(&tenants, placed.record.id).await, 0);
    }
}

#[tokio::test]
async fn an_expired_access_is_refused() {
    let (db, tenants) = setting().await;
    let id = tenants.get("pool").record.id;
    let past = Access {
        expires: OffsetDateTime::now_utc() - Duration::seconds(1),
        ..access_for(0)
    };
    let refused = db.support_access(id, past.clone()).await;
    assert!(matches!(refused, Err(Error::AccessExpired { id: refused }) if refused == id));

    for placed in &tenants.placed {
        let id = placed.record.id;
        let soon = Access {
            expires: OffsetDateTime::now_utc() + Duration::milliseconds(1500),
            ..access_for(0)
        };
        let support = db.support_access(id, soon.clone()).await.unwrap();
        support.select::<Customer>().all().await.unwrap();
        tokio::time::sleep((soon.expires - OffsetDateTime::now_utc()).unsigned_abs()).await;
        let late = support.select::<Customer>().all().await;
        assert!(matches!(late, Err(Error::AccessExpired { .. })), "{late:?}");
        let late = support.transaction().await;
        assert!(matches!(late, Err(Error::AccessExpired { .. })), "{late:?}");
        assert_eq!(recorded(&tenants, id).await, 1, "{}", placed.label);
    }

    let blank = Access {
        reason: "  ".to_owned(),
        ..access_for(10)
    };
    assert!(matches!(
        db.support_access(id, blank).await,
        Err(Error::InvalidAccess(_))
    ));

    // The procedure checks again, by the server's clock, and refuses blank
    // terms: called by hand as the application role.
    let app = tenants.app_client(&tenants.get("pool").location()).await;
    let call = format!("CALL {PROCEDURE}($1, $2, $3, $4, $5)");
    let call = call.replace("(uuid, text, text, text, timestamptz)", "");
    let expired = app
        .execute(
            &call,
            &[
                &id.as_uuid(),
                &"ada",
                &"why",
                &None::<String>,
                &past.expires,
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(expired.code().map(SqlState::code), Some("TN003"));
    let blank = app
        .execute(
            &call,
            &[
                &id.as_uuid(),
                &"ada",
                &" ",
                &None::<String>,
                &access_for(10).expires,
            ],
        )
        .await
        .unwrap_err();
    assert_eq!(blank.code(), Some(&SqlState::CHECK_VIOLATION));
}

#[tokio::test]
async fn the_log_is_append_only_and_its_chain_finds_tampering() {
    let (db, tenants) = setting().await;
    let id = tenants.get("pool").record.id;
    let support = db.support_access(id, access_for(10)).await.unwrap();
    for _ in 0..3 {
        support.select::<Customer>().all().await.unwrap();
    }
    let operator = &tenants.world.operator;
    assert!(operator.verify_audit().await.unwrap().is_intact());

    // The application role may neither read nor change the log.
    let app = tenants.app_client(&tenants.get("pool").location()).await;
    for sql in [
        "SELECT * FROM tenantry_control.support_access",
        "UPDATE tenantry_control.support_access SET reason = 'nothing'",
        "DELETE FROM tenantry_control.support_access",
        "TRUNCATE tenantry_control.support_access",
    ] {
        let error = app.batch_execute(sql).await.unwrap_err();
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }
    // Nor may the owner, while the triggers stand.
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    for sql in [
        "UPDATE tenantry_control.support_access SET reason = 'nothing'",
        "DELETE FROM tenantry_control.support_access",
        "TRUNCATE tenantry_control.support_access",
    ] {
        let error = admin.batch_execute(sql).await.unwrap_err();
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }

    // A superuser who disables the triggers is found out.
    admin
        .batch_execute(
            "ALTER TABLE tenantry_control.support_access DISABLE TRIGGER append_only;
             ALTER TABLE tenantry_control.support_access DISABLE TRIGGER append_only_table",
        )
        .await
        .unwrap();
    let ids: Vec<i64> = admin
        .query(
            "SELECT id FROM tenantry_control.support_access ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(ids.len(), 3);

    // Changed.
    admin
        .execute(
            "UPDATE tenantry_control.support_access SET reason = 'routine check' WHERE id = $1",
            &[&ids[1]],
        )
        .await
        .unwrap();
    let found = operator.verify_audit().await.unwrap();
    let broken = found.broken.expect("a changed row");
    assert_eq!((found.intact, broken.id), (1, ids[1]));
    assert!(
        matches!(broken.problem, LinkProblem::Altered { .. }),
        "{broken}"
    );
    admin
        .execute(
            "UPDATE tenantry_control.support_access SET reason = 'invoice totals look wrong' WHERE id = $1",
            &[&ids[1]],
        )
        .await
        .unwrap();
    assert!(operator.verify_audit().await.unwrap().is_intact());

    // Removed (and kept aside, to be put back as it was).
    admin
        .execute(
            "CREATE TEMPORARY TABLE kept AS SELECT * FROM tenantry_control.support_access WHERE id = $1",
            &[&ids[1]],
        )
        .await
        .unwrap();
    admin
        .execute(
            "DELETE FROM tenantry_control.support_access WHERE id = $1",
            &[&ids[1]],
        )
        .await
        .unwrap();
    let found = operator.verify_audit().await.unwrap();
    let broken = found.broken.expect("a removed row");
    assert_eq!((found.intact, broken.id), (1, ids[2]));
    assert!(
        matches!(broken.problem, LinkProblem::Unlinked { .. }),
        "{broken}"
    );
    admin
        .batch_execute(
            "INSERT INTO tenantry_control.support_access OVERRIDING SYSTEM VALUE SELECT * FROM kept",
        )
        .await
        .unwrap();
    assert!(operator.verify_audit().await.unwrap().is_intact());

    // Inserted out of the chain: linked to the first row, at the end.
    admin
        .execute(
            "INSERT INTO tenantry_control.support_access
                 (tenant_id, actor, reason, ticket, expires_at, accessed_at, recorded_by, previous_hash, hash)
             SELECT tenant_id, actor, 'slipped in', ticket, expires_at, accessed_at, recorded_by,
                    hash, repeat('a', 64)
             FROM tenantry_control.support_access WHERE id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap();
    let found = operator.verify_audit().await.unwrap();
    let broken = found.broken.expect("a row out of the chain");
    assert_eq!(found.intact, 3);
    assert!(broken.id > ids[2]);
    assert!(
        matches!(broken.problem, LinkProblem::Unlinked { .. }),
        "{broken}"
    );
}

#[tokio::test]
async fn concurrent_uses_keep_the_chain_linear() {
    let (db, tenants) = setting().await;
    let ids: Vec<TenantId> = tenants
        .placed
        .iter()
        .map(|placed| placed.record.id)
        .collect();
    let across = db
        .across_tenants(ids.clone(), access_for(10))
        .await
        .unwrap();
    let uses = (0..10).map(|_| {
        across.each(async |tenant| {
            tenant
                .select::<Customer>()
                .all()
                .await
                .map(|rows| rows.len())
        })
    });
    for used in join_all(uses).await {
        for (_, count) in used.unwrap() {
            assert_eq!(count, 1);
        }
    }
    for id in ids {
        assert_eq!(recorded(&tenants, id).await, 10);
    }
    let verification = tenants.world.operator.verify_audit().await.unwrap();
    assert!(verification.is_intact(), "{verification:?}");
    assert_eq!(verification.intact, 20);
}

#[tokio::test]
async fn an_open_audited_transaction_holds_no_one_up_and_a_wait_for_the_log_fails() {
    let (db, tenants) = setting().await;
    let id = tenants.get("pool").record.id;
    let pool = db.support_access(id, access_for(10)).await.unwrap();
    let open = pool.transaction().await.unwrap();
    assert_eq!(pool.select::<Customer>().all().await.unwrap().len(), 1);
    open.commit().await.unwrap();
    assert_eq!(recorded(&tenants, id).await, 2);

    let mut admin = tenants.world.admin(MAIN_SERVER, None).await;
    let holder = admin.transaction().await.unwrap();
    holder
        .batch_execute("LOCK TABLE tenantry_control.support_access IN EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let waiting = pool.select::<Customer>().all().await;
    let waited = started.elapsed();
    assert!(waiting.is_err(), "{waiting:?}");
    assert!(
        waited >= std::time::Duration::from_secs(9) && waited < std::time::Duration::from_secs(30),
        "{waited:?}"
    );
    holder.rollback().await.unwrap();
    assert_eq!(pool.select::<Customer>().all().await.unwrap().len(), 1);
    assert_eq!(recorded(&tenants, id).await, 3);
}
