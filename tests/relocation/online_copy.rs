//! The online copy: a move whose source server has `wal_level = logical`
//! (the second server) keeps the destination level by decoding the
//! source's changes, so under the fence nothing is copied again. Writers
//! of the tenant (inserts, updates, deletes, a customer and its invoice in
//! one transaction) and of a neighbour in the same shared tables work
//! through the move; the destination then holds exactly the source's rows.
//! The slot and publication never outlive the move. A source on the main
//! server (`wal_level = replica`) is moved by the fenced copy.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tenantry::ops::{CopyMethod, Place, PlacementKind, RelocationProgress, RelocationStep};
use tenantry::{Error, MAIN_SERVER, Placement, TenantId, Tenantry, TransactionOptions};
use uuid::Uuid;

use super::fixtures::{fill, location, relocate, to};
use super::kills::{KillAt, killed};
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::{Location, Tenants};
use crate::support::{Customer, Invoice, NewCustomer, NewEvent, NewInvoice};
use time::macros::{date, datetime, time};

/// The tables the suites' tenants have.
const TABLES: [&str; 3] = ["customers", "invoices", "events"];

/// Every row of `id` in `table` at `place`, as text, sorted.
async fn rows_at(tenants: &Tenants, place: &Place, table: &str, id: TenantId) -> Vec<String> {
    let location = location(place);
    let admin = tenants.admin(&location).await;
    admin
        .query(
            &format!(
                "SELECT t::text FROM \"{}\".{table} t WHERE tenant_id = $1 ORDER BY 1",
                location.schema
            ),
            &[&id.as_uuid()],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// The relocation slots and publications in the database of `place`.
async fn streams_at(tenants: &Tenants, place: &Place) -> (i64, i64) {
    let admin = tenants.admin(&location(place)).await;
    let row = admin
        .query_one(
            "SELECT (SELECT count(*) FROM pg_replication_slots
                     WHERE database = current_database()
                       AND slot_name LIKE 'tenantry\\_relocation\\_%'),
                    (SELECT count(*) FROM pg_publication
                     WHERE pubname LIKE 'tenantry\\_relocation\\_%')",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Event `n` of a writer: every column type the online copy must carry
/// as text (ids above those `fill` writes).
fn event(n: i64) -> NewEvent {
    NewEvent {
        id: 1_000_000 + n,
        small: -7,
        medium: n as i32,
        ratio: 0.1 + n as f32 / 3.0,
        score: (n % 2 == 0).then_some(1.0 / 3.0 + n as f64),
        payload: vec![0, 92, 39, 255, n as u8],
        details: serde_json::json!({"n": n, "quote": "it's \"x\"", "tags": ["a", "é"]}),
        day: date!(2026 - 12 - 01),
        at_time: time!(23:59:59.999999),
        local_at: datetime!(2026-12-01 00:00:00.000001),
    }
}

/// The invoice whose note is stored out of line (TOAST): an update of
/// another of its columns sends the note as unchanged.
const BIG: Uuid = Uuid::from_u128(0xb16);

/// Writes `tenant`'s customer and invoice `BIG`, with a note of 200,000
/// random hexadecimal digits (which do not compress, so they are TOASTed).
async fn big_invoice(tenant: &tenantry::Tenant) {
    let customer = NewCustomer::named("big");
    let customer_id = customer.id;
    tenant.insert(customer).exec().await.unwrap();
    let note: String = (0..6250)
        .map(|_| Uuid::new_v4().simple().to_string())
        .collect();
    tenant
        .insert(NewInvoice {
            id: BIG,
            customer_id,
            amount_cents: 1,
            paid: false,
            note: Some(note),
            created_at: time::OffsetDateTime::now_utc(),
        })
        .exec()
        .await
        .unwrap();
}

/// What a writer did.
#[derive(Debug, Default)]
struct Churned {
    /// Rounds acknowledged whole.
    acknowledged: usize,
    /// Customers whose insert was acknowledged.
    inserted: usize,
    /// Whether it stopped at a refusal (`TenantMoving` or `TenantMoved`).
    refused: bool,
}

/// Writes for `id` until `stop`, or until its first refusal if
/// `until_refused`: each round, in one transaction, a customer, its
/// invoice and an event; then invoice `BIG` (if any) marked paid or not,
/// the last customer's email changed, and every third round the invoice of
/// two rounds before deleted. Any other error fails.
async fn churn(
    db: &Tenantry,
    id: TenantId,
    stop: &AtomicBool,
    until_refused: bool,
    writes: &AtomicUsize,
) -> Churned {
    {
        let tenant = db.tenant(id).await.unwrap();
        let mut churned = Churned::default();
        let mut invoices: Vec<Uuid> = Vec::new();
        let mut n = 0i64;
        while !stop.load(Ordering::Acquire) {
            let customer = NewCustomer::named(&format!("w{n}"));
            let customer_id = customer.id;
            let invoice = NewInvoice {
                id: Uuid::new_v4(),
                customer_id,
                amount_cents: n,
                paid: false,
                note: None,
                created_at: time::OffsetDateTime::now_utc(),
            };
            let invoice_id = invoice.id;
            let result: Result<(), Error> = async {
                tenant
                    .run_transaction(TransactionOptions::default(), async |tx| {
                        tx.insert(customer.clone()).exec().await?;
                        tx.insert(invoice.clone()).exec().await?;
                        tx.insert(event(n)).exec().await?;
                        Ok(())
                    })
                    .await?;
                churned.inserted += 1;
                tenant
                    .update::<Invoice>()
                    .set(Invoice::PAID, n % 2 == 0)
                    .filter(Invoice::ID.eq(BIG))
                    .exec()
                    .await?;
                tenant
                    .update::<Customer>()
                    .set(Customer::EMAIL, Some(format!("w{n}@example.com")))
                    .filter(Customer::ID.eq(customer_id))
                    .exec()
                    .await?;
                invoices.push(invoice_id);
                if n % 3 == 2 {
                    let old = invoices[invoices.len() - 3];
                    tenant
                        .delete::<Invoice>()
                        .filter(Invoice::ID.eq(old))
                        .exec()
                        .await?;
                }
                Ok(())
            }
            .await;
            match result {
                Ok(()) => {
                    churned.acknowledged += 1;
                    writes.fetch_add(1, Ordering::AcqRel);
                }
                Err(Error::TenantMoving { .. } | Error::TenantMoved { .. }) if until_refused => {
                    churned.refused = true;
                    return churned;
                }
                Err(error) => panic!("writer of {id}: {error:?}"),
            }
            n += 1;
        }
        churned
    }
}

/// Moves the first of `spots`' tenants (on the second server) to
/// `destination` on the main server while it and the second tenant (its
/// neighbour) write; checks that the copy was online, that nothing was
/// copied again under the fence, that the destination holds exactly the
/// source's rows, that the neighbour wrote undisturbed and none of its rows
/// came along, and that no slot or publication is left.
async fn move_online(
    spots: &[(&'static str, PlacementKind, &'static str)],
    destination: PlacementKind,
    identity_without_tenant: bool,
) {
    let tenants = Tenants::provision(spots).await;
    let (id, neighbour) = (tenants.placed[0].record.id, tenants.placed[1].record.id);
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    fill(&handles[0], "seed", 30).await;
    fill(&handles[1], "seed", 5).await;
    big_invoice(&handles[0]).await;
    if identity_without_tenant {
        // The shared customers table's replica identity does not hold the
        // tenant column: a row filter there would fail every update.
        let admin = tenants.admin(&tenants.placed[0].location()).await;
        admin
            .batch_execute(
                "CREATE UNIQUE INDEX customers_id_key ON public.customers (id);
                 ALTER TABLE public.customers REPLICA IDENTITY USING INDEX customers_id_key",
            )
            .await
            .unwrap();
    }

    let stop = AtomicBool::new(false);
    let (writes, beside_writes) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let fenced = Mutex::new(false);
    let recopied = Mutex::new(Vec::new());
    let progress = |event: RelocationProgress| match event {
        RelocationProgress::Step(RelocationStep::Fenced) => *fenced.lock().unwrap() = true,
        RelocationProgress::Copied { table, rows } if *fenced.lock().unwrap() => {
            recopied.lock().unwrap().push((table, rows));
        }
        _ => {}
    };
    let relocation = async {
        while writes.load(Ordering::Acquire) < 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let report = tenants
            .world
            .operator
            .relocate_with_progress(id, &to(destination, MAIN_SERVER), &TENANT, &progress)
            .await
            .unwrap();
        // The neighbour keeps writing after the move, in the same tables.
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, Ordering::Release);
        report
    };
    let (moved, stayed, report) = tokio::join!(
        churn(&db, id, &stop, true, &writes),
        churn(&db, neighbour, &stop, false, &beside_writes),
        relocation
    );
    assert!(moved.refused, "the writer never met the fence");
    assert!(stayed.acknowledged > 0 && !stayed.refused);

    assert_eq!(report.copy, Some(CopyMethod::Online));
    assert_eq!(
        recopied.into_inner().unwrap(),
        [],
        "the online copy left something to copy again"
    );
    let (from, to) = (&report.relocation.from, &report.relocation.to);
    for table in TABLES {
        let source = rows_at(&tenants, from, table, id).await;
        let copy = rows_at(&tenants, to, table, id).await;
        assert_eq!(source, copy, "{table} differs");
        assert_eq!(
            rows_at(&tenants, to, table, neighbour).await,
            Vec::<String>::new()
        );
    }
    let customers = rows_at(&tenants, to, "customers", id).await;
    assert_eq!(customers.len(), 31 + moved.inserted);
    assert_eq!(
        streams_at(&tenants, from).await,
        (0, 0),
        "a slot or publication is left"
    );
    eprintln!(
        "{} transactions of the tenant, {} of its neighbour; blocked {:?}",
        moved.acknowledged, stayed.acknowledged, report.blocked
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_tenant_moves_online_to_a_database_while_it_and_its_neighbour_write() {
    move_online(
        &[
            ("moving", PlacementKind::Pool, SECOND),
            ("neighbour", PlacementKind::Pool, SECOND),
        ],
        PlacementKind::Database,
        false,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_table_whose_identity_lacks_the_tenant_is_published_whole_and_filtered() {
    move_online(
        &[
            ("moving", PlacementKind::Pool, SECOND),
            ("neighbour", PlacementKind::Pool, SECOND),
        ],
        PlacementKind::Database,
        true,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_tenant_moves_online_to_the_pool() {
    move_online(
        &[
            ("moving", PlacementKind::Schema, SECOND),
            ("neighbour", PlacementKind::Pool, SECOND),
        ],
        PlacementKind::Pool,
        false,
    )
    .await;
}

#[tokio::test]
async fn a_source_without_logical_decoding_is_moved_by_the_fenced_copy() {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    fill(&db.tenant(id).await.unwrap(), "c", 3).await;
    let report = relocate(&tenants, id, &to(PlacementKind::Database, SECOND)).await;
    assert_eq!(report.copy, Some(CopyMethod::Fenced));
    let (from, to) = (&report.relocation.from, &report.relocation.to);
    for table in TABLES {
        assert_eq!(
            rows_at(&tenants, from, table, id).await,
            rows_at(&tenants, to, table, id).await
        );
    }
}

/// Kills a move of a pool tenant of the second server at `at`, after its
/// slot is made (mid-copy, or once the copy is recorded), then runs it
/// again, or rolls it back if `roll_back`: either way no slot or
/// publication is left. Resumed mid-copy, the move copies online again;
/// resumed after its copy, under the fence.
async fn kill_after_the_slot(at: KillAt, roll_back: bool) {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, SECOND)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 5).await;
    let operator = Arc::new(tenants.world.operator());
    let destination = to(PlacementKind::Database, MAIN_SERVER);
    killed(&operator, id, &destination, at).await;
    let relocation = operator.relocation(id).await.unwrap().expect("recorded");
    let resumed = if at == KillAt::MidCopy {
        assert_eq!(relocation.step, RelocationStep::Prepared);
        CopyMethod::Online
    } else {
        assert_eq!(relocation.step, RelocationStep::Copied);
        CopyMethod::Fenced
    };
    assert_eq!(streams_at(&tenants, &relocation.from).await, (1, 1));
    // Written after the copy, while no slot is read.
    tenant
        .insert(NewCustomer::named("late"))
        .exec()
        .await
        .unwrap();

    if roll_back {
        let rolled = operator.rollback_relocation(id).await.unwrap();
        assert_eq!(rolled.step, RelocationStep::RolledBack);
        assert_eq!(
            rows_at(&tenants, &relocation.from, "customers", id)
                .await
                .len(),
            6
        );
    } else {
        let report = relocate(&tenants, id, &destination).await;
        assert_eq!(report.relocation.step, RelocationStep::Flipped);
        assert_eq!(report.copy, Some(resumed));
        for table in TABLES {
            assert_eq!(
                rows_at(&tenants, &relocation.from, table, id).await,
                rows_at(&tenants, &relocation.to, table, id).await,
                "{table} differs"
            );
        }
    }
    assert_eq!(
        streams_at(&tenants, &relocation.from).await,
        (0, 0),
        "a slot or publication is left"
    );
}

#[tokio::test]
async fn a_move_killed_after_its_slot_is_made_resumes_and_drops_it() {
    kill_after_the_slot(KillAt::MidCopy, false).await;
    kill_after_the_slot(KillAt::Step(RelocationStep::Copied), false).await;
}

#[tokio::test]
async fn a_move_killed_after_its_slot_is_made_rolls_back_without_it() {
    kill_after_the_slot(KillAt::MidCopy, true).await;
    kill_after_the_slot(KillAt::Step(RelocationStep::Copied), true).await;
}

/// Moves a pool tenant of the second server with `rows` customers and as
/// many invoices to a database on the main server while it writes; the
/// write-blocked window, and how the copy was kept level.
async fn blocked_with(rows: i64) -> (Duration, Option<CopyMethod>) {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, SECOND)]).await;
    let id = tenants.placed[0].record.id;
    let admin = tenants.admin(&tenants.placed[0].location()).await;
    admin
        .execute(
            "INSERT INTO customers (tenant_id, id, name)
             SELECT $1, gen_random_uuid(), 'bulk' || g FROM generate_series(1::bigint, $2) g",
            &[&id.as_uuid(), &rows],
        )
        .await
        .unwrap();
    admin
        .execute(
            "INSERT INTO invoices (tenant_id, id, customer_id, amount, paid, created_at)
             SELECT tenant_id, gen_random_uuid(), id, 1, false, now()
             FROM customers WHERE tenant_id = $1",
            &[&id.as_uuid()],
        )
        .await
        .unwrap();
    let db = tenants.connect().await;
    let (stop, writes) = (AtomicBool::new(false), AtomicUsize::new(0));
    let relocation = async {
        while writes.load(Ordering::Acquire) < 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        relocate(&tenants, id, &to(PlacementKind::Database, MAIN_SERVER)).await
    };
    let (_, report) = tokio::join!(churn(&db, id, &stop, true, &writes), relocation);
    (report.blocked.expect("flipped"), report.copy)
}

/// The write-blocked window of a tenant that writes through its move, at
/// 10,000 and 100,000 customers (and as many invoices): online from the
/// second server, fenced from the main one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_online_copys_blocked_window_does_not_grow_with_the_tenant() {
    let mut windows = Vec::new();
    for rows in [10_000, 100_000] {
        let (blocked, copy) = blocked_with(rows).await;
        eprintln!("{copy:?} copy, {rows} customers and invoices: writes blocked {blocked:?}");
        assert_eq!(copy, Some(CopyMethod::Online));
        windows.push(blocked);
    }
    let [small, large] = windows[..] else {
        unreachable!()
    };
    // Ten times the rows: the online window holds no copy, only the
    // digests, and stays far from ten times as long.
    assert!(
        large < small * 4,
        "online: {small:?} at 10,000 rows, {large:?} at 100,000"
    );
}

/// A move whose copy fails with an error that does not roll it back (here
/// the destination refusing the tenant's rows) drops its slot and
/// publication at once rather than keeping the source's WAL until it is
/// run again; run again, it copies online anew.
#[tokio::test]
async fn a_move_that_fails_after_its_slot_is_made_drops_it() {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, SECOND)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    fill(&db.tenant(id).await.unwrap(), "c", 5).await;
    let destination = to(PlacementKind::Pool, MAIN_SERVER);
    let main = tenants
        .admin(&Location::of(MAIN_SERVER, &Placement::Pool))
        .await;
    main.batch_execute(&format!(
        "ALTER TABLE public.customers ADD CONSTRAINT refuses_the_move
         CHECK (tenant_id <> '{id}') NOT VALID"
    ))
    .await
    .unwrap();

    let failed = tenants
        .world
        .operator
        .relocate(id, &destination, &TENANT)
        .await;
    assert!(
        failed.is_err(),
        "the destination refused the rows: {failed:?}"
    );
    let relocation = tenants
        .world
        .operator
        .relocation(id)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(relocation.step, RelocationStep::Prepared);
    assert_eq!(
        streams_at(&tenants, &relocation.from).await,
        (0, 0),
        "a failed move kept its slot or publication"
    );

    main.batch_execute("ALTER TABLE public.customers DROP CONSTRAINT refuses_the_move")
        .await
        .unwrap();
    let report = relocate(&tenants, id, &destination).await;
    assert_eq!(report.relocation.step, RelocationStep::Flipped);
    assert_eq!(report.copy, Some(CopyMethod::Online));
    assert_eq!(
        rows_at(&tenants, &relocation.from, "customers", id).await,
        rows_at(&tenants, &relocation.to, "customers", id).await
    );
    assert_eq!(streams_at(&tenants, &relocation.from).await, (0, 0));
}
