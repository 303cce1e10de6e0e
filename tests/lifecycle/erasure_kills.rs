//! Erasures killed at every stage and run again: before the fence is up,
//! mid-way through the deletes, while the tenant's schema or database is
//! being dropped, and between the drop and the proof. Each kill is the
//! operator's task aborted at its next await, as when its process dies;
//! a statement it was waiting on is ended by the server, or runs to its
//! end, as there. Run again, the erasure finishes with a complete proof
//! for the first request, and nothing before that claims success.

use std::sync::Arc;
use std::time::Duration;

use tenantry::ops::{ErasureRecord, Error as OpsError, Operator, PlacementKind, Reason};
use tenantry::{MAIN_SERVER, Placement, TenantId, TenantStatus};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::erasure_fixtures::{erased, filled, usage_rows, writing};
use crate::support::eventually::eventually;
use crate::support::placements::SECOND;
use crate::support::tenants::{Placed, Tenants};
use crate::support::{Customer, NewCustomer};

type Erasure = JoinHandle<Result<ErasureRecord, OpsError>>;

/// Starts erasing `id` for the request [`FIRST`], calling
/// `deleted` with each batch's count.
fn start_erasure(
    operator: &Arc<Operator>,
    id: TenantId,
    deleted: impl Fn(u64) + Send + Sync + 'static,
) -> Erasure {
    let operator = operator.clone();
    tokio::spawn(async move {
        operator
            .erase_with_progress(id, &Reason::new(FIRST.0, FIRST.1), &deleted)
            .await
    })
}

/// Kills `erasure`, which must still be under way.
async fn kill(erasure: Erasure, label: &str) {
    erasure.abort();
    match erasure.await {
        Err(error) if error.is_cancelled() => {}
        other => panic!("{label}: the erasure ended before the kill: {other:?}"),
    }
}

/// The backend of a statement beginning with `start` that waits for a lock
/// in the database `watcher` is connected to, once there is one.
async fn waiting(watcher: &Client, start: &str) -> i32 {
    let pattern = format!("{start}%");
    let pattern = &pattern;
    eventually(
        Duration::from_secs(10),
        move || async move {
            watcher
                .query_opt(
                    "SELECT pid FROM pg_stat_activity
                     WHERE datname = current_database() AND wait_event_type = 'Lock'
                       AND query LIKE $1",
                    &[pattern],
                )
                .await
                .unwrap()
                .map(|row| row.get::<_, i32>(0))
        },
        Option::is_some,
    )
    .await
    .unwrap_or_else(|| panic!("no statement `{start}` waits for a lock"))
}

/// Whether `placed`'s own schema or database exists.
async fn own_object_exists(tenants: &Tenants, placed: &Placed) -> bool {
    let (Placement::Schema(own) | Placement::Database(own)) = &placed.record.placement else {
        return false;
    };
    tenants
        .world
        .admin(&placed.record.server, None)
        .await
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)
                 OR EXISTS (SELECT FROM pg_database WHERE datname = $1)",
            &[&own.as_str()],
        )
        .await
        .unwrap()
        .get(0)
}

/// Checks what a killed erasure leaves: no proof, and a tombstone.
async fn killed_without_proof(operator: &Operator, placed: &Placed) {
    let (id, label) = (placed.record.id, placed.label);
    match operator.erasure_record(id).await {
        Err(OpsError::NoErasureRecord { id: none }) => assert_eq!(none, id, "{label}"),
        other => panic!("{label}: a killed erasure has a proof: {other:?}"),
    }
    assert_eq!(
        operator.tenant(id).await.unwrap().status,
        TenantStatus::Erased,
        "{label}"
    );
}

/// The request a run again makes.
const RETRY: (&str, &str) = ("cron", "retry");

/// The request of the killed run.
const FIRST: (&str, &str) = ("dpo", "request 1");

/// Runs the erasure of `placed` again, asked as [`RETRY`], and checks that
/// it finishes for the request `recorded` with nothing left, as the proof
/// says and as the servers say.
async fn run_again(
    tenants: &Tenants,
    operator: &Operator,
    placed: &Placed,
    recorded: (&str, &str),
) -> ErasureRecord {
    let (id, label) = (placed.record.id, placed.label);
    let record = operator
        .erase(id, &Reason::new(RETRY.0, RETRY.1))
        .await
        .unwrap_or_else(|error| panic!("{label}: run again: {error}"));
    assert_eq!(
        (record.actor.as_str(), record.reason.as_str()),
        recorded,
        "{label}"
    );
    assert!(
        record.is_intact() && record.checks.iter().all(|check| check.remaining == 0),
        "{label}: {record:#?}"
    );
    assert_eq!(
        operator.erasure_record(id).await.unwrap(),
        record,
        "{label}"
    );
    assert_eq!(usage_rows(tenants, placed.uuid()).await, 0, "{label}");
    for server in [MAIN_SERVER, SECOND] {
        let admin = tenants.world.admin(server, None).await;
        for table in ["public.customers", "public.invoices"] {
            let left: i64 = admin
                .query_one(
                    &format!("SELECT count(*) FROM {table} WHERE tenant_id = $1"),
                    &[&placed.uuid()],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(left, 0, "{label}: {table} on {server}");
        }
    }
    assert!(
        !own_object_exists(tenants, placed).await,
        "{label}: its schema or database is left"
    );
    record
}

#[tokio::test]
async fn an_erasure_killed_before_its_fence_changes_nothing_and_finishes_when_run_again() {
    let (tenants, _db, handles) = filled(&[("pool", PlacementKind::Pool, MAIN_SERVER)], 3).await;
    let (placed, tenant) = (&tenants.placed[0], &handles[0]);
    let id = placed.record.id;
    let operator = Arc::new(tenants.world.operator());
    let watcher = tenants.world.admin(MAIN_SERVER, None).await;

    // A transaction that has written holds the fence back; the erasure is
    // killed while it waits.
    let transaction = writing(tenant).await;
    let erasure = start_erasure(&operator, id, |_| {});
    waiting(&watcher, "INSERT INTO tenantry.residents").await;
    kill(erasure, "before the fence").await;

    // The fence never went up: the writer commits, and the tenant stays
    // active with every row, writing on.
    transaction.commit().await.unwrap();
    assert!(matches!(
        operator.erasure_record(id).await,
        Err(OpsError::NoErasureRecord { .. })
    ));
    assert_eq!(
        operator.tenant(id).await.unwrap().status,
        TenantStatus::Active
    );
    tenant
        .insert(NewCustomer::named("after the kill"))
        .exec()
        .await
        .unwrap();
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 5);
    assert_eq!(usage_rows(&tenants, placed.uuid()).await, 2);

    // The first request never took effect: the proof is the second's.
    run_again(&tenants, &operator, placed, RETRY).await;
    erased(
        tenant.select::<Customer>().count().await,
        id,
        "after the erasure",
    );
}

#[tokio::test]
async fn an_erasure_killed_mid_way_finishes_when_run_again_and_never_claims_success_before() {
    let (tenants, _db, handles) = filled(&[("pool", PlacementKind::Pool, SECOND)], 40).await;
    let (placed, tenant) = (&tenants.placed[0], &handles[0]);
    let id = placed.record.id;
    let operator = Arc::new(tenants.world.operator().erase_batch(10));

    let first_batch = Arc::new(Notify::new());
    let erasure = start_erasure(&operator, id, {
        let first_batch = first_batch.clone();
        move |rows| {
            if rows > 0 {
                first_batch.notify_one();
            }
        }
    });
    first_batch.notified().await;
    kill(erasure, "mid-way").await;

    let admin = tenants.world.admin(SECOND, None).await;
    let left = |sql: &'static str| {
        let admin = &admin;
        async move {
            admin
                .query_one(sql, &[&id.as_uuid()])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    let invoices = left("SELECT count(*) FROM public.invoices WHERE tenant_id = $1").await;
    let customers = left("SELECT count(*) FROM public.customers WHERE tenant_id = $1").await;
    assert!(
        invoices < 40 && invoices + customers > 0,
        "killed mid-way: {invoices} invoices, {customers} customers left"
    );
    // Killed: no proof, yet a tombstone.
    killed_without_proof(&operator, placed).await;
    erased(
        tenant.select::<Customer>().count().await,
        id,
        "after the kill",
    );

    // Run again, by someone else: it finishes, for the reason first given.
    let record = run_again(&tenants, &operator, placed, FIRST).await;
    // A record whose fields were changed no longer matches its digest.
    let mut forged = record.clone();
    forged.checks[0].remaining = 1;
    assert!(!forged.is_intact());
}

#[tokio::test]
async fn an_erasure_killed_while_dropping_a_schema_or_database_finishes_when_run_again() {
    let (tenants, _db, handles) = filled(
        &[
            ("schema", PlacementKind::Schema, SECOND),
            ("database", PlacementKind::Database, MAIN_SERVER),
        ],
        3,
    )
    .await;
    let operator = Arc::new(tenants.world.operator());
    for (placed, tenant) in tenants.placed.iter().zip(&handles) {
        let label = placed.label;
        let server = &placed.record.server;
        let (kind, own) = match &placed.record.placement {
            Placement::Schema(own) => ("SCHEMA", own),
            Placement::Database(own) => ("DATABASE", own),
            Placement::Pool => unreachable!("{label} has a schema or database of its own"),
        };
        // An administrator's open transaction holds the schema or database,
        // so the drop waits for it; the operator dies meanwhile, and the
        // server ends its backend: the drop never happens.
        let holder = tenants.world.admin(server, None).await;
        holder
            .batch_execute(&format!(
                "BEGIN; COMMENT ON {kind} {} IS 'held'",
                own.quoted()
            ))
            .await
            .unwrap();
        let erasure = start_erasure(&operator, placed.record.id, |_| {});
        let watcher = tenants.world.admin(server, None).await;
        let dropping = waiting(&watcher, &format!("DROP {kind}")).await;
        kill(erasure, label).await;
        let ended: bool = watcher
            .query_one("SELECT pg_terminate_backend($1)", &[&dropping])
            .await
            .unwrap()
            .get(0);
        assert!(ended, "{label}");
        holder.batch_execute("ROLLBACK").await.unwrap();

        killed_without_proof(&operator, placed).await;
        assert!(
            own_object_exists(&tenants, placed).await,
            "{label}: the drop was ended before it began"
        );
        erased(
            tenant.select::<Customer>().count().await,
            placed.record.id,
            label,
        );
        run_again(&tenants, &operator, placed, FIRST).await;
    }
}

#[tokio::test]
async fn an_erasure_killed_between_its_drop_and_its_proof_finishes_when_run_again() {
    let (tenants, _db, handles) = filled(
        &[
            ("schema", PlacementKind::Schema, MAIN_SERVER),
            ("database", PlacementKind::Database, SECOND),
        ],
        3,
    )
    .await;
    let operator = Arc::new(tenants.world.operator());
    for (placed, tenant) in tenants.placed.iter().zip(&handles) {
        let label = placed.label;
        // The first delete of a shared table comes after the drop; the
        // operator dies there.
        let dropped = Arc::new(Notify::new());
        let erasure = start_erasure(&operator, placed.record.id, {
            let dropped = dropped.clone();
            move |_| dropped.notify_one()
        });
        dropped.notified().await;
        kill(erasure, label).await;

        killed_without_proof(&operator, placed).await;
        assert!(
            !own_object_exists(&tenants, placed).await,
            "{label}: killed after the drop"
        );
        assert!(
            usage_rows(&tenants, placed.uuid()).await > 0,
            "{label}: killed before the other server's shared rows went"
        );
        erased(
            tenant.select::<Customer>().count().await,
            placed.record.id,
            label,
        );
        run_again(&tenants, &operator, placed, FIRST).await;
    }
}
