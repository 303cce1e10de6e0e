//! The copy that keeps the destination level without logical decoding
//! patches only what changed: the tenant's rows are compared bucket by
//! bucket (by a hash of their primary key), and only the rows of the
//! buckets that differ are copied again, before the fence and once more
//! under it. A change the patch cannot apply (two rows swapping a unique
//! value, a table without a primary key) has its tables copied again whole.
//! Either way the destination then holds exactly the source's rows.

use std::future::Future;
use std::sync::Mutex;

use tenantry::MAIN_SERVER;
use tenantry::ops::{PlacementKind, RelocationProgress, RelocationStep};
use tokio::runtime::Handle;

use super::fixtures::{Contents, contents, fill, handle_at, to};
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::Tenants;

/// Runs `work` to its end from the operator's progress callback.
fn blocking<T>(work: impl Future<Output = T>) -> T {
    tokio::task::block_in_place(|| Handle::current().block_on(work))
}

/// Where a move is, as its progress reports it.
#[derive(Default)]
struct Seen {
    /// The first copy is done.
    copied: bool,
    /// The tenant's contents when the fence went up.
    fenced: Option<Contents>,
    /// The tables copied after the first copy, before and under the fence.
    before: Vec<(String, u64)>,
    under: Vec<(String, u64)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_buckets_that_changed_are_copied_again() {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 20).await;
    let source = tenants.world.admin(MAIN_SERVER, None).await;

    // Written once the first copy is done: an insert, updates, deletes, a
    // parent deleted with its children, a key updated.
    let first = format!(
        r"INSERT INTO customers (tenant_id, id, name) VALUES ('{id}', gen_random_uuid(), 'late');
          UPDATE customers SET email = 'c1@example.com' WHERE tenant_id = '{id}' AND name = 'c1';
          DELETE FROM invoices WHERE tenant_id = '{id}' AND customer_id =
              (SELECT c.id FROM customers c WHERE c.tenant_id = '{id}' AND c.name = 'c2');
          DELETE FROM customers WHERE tenant_id = '{id}' AND name = 'c2';
          UPDATE events SET payload = '\x00ff' WHERE tenant_id = '{id}' AND id = 3;
          UPDATE events SET id = 1000 WHERE tenant_id = '{id}' AND id = 4;
          DELETE FROM events WHERE tenant_id = '{id}' AND id = 5;"
    );
    // Written while the first round before the fence patches: left to the
    // round under the fence.
    let second = format!(
        "INSERT INTO customers (tenant_id, id, name) VALUES ('{id}', gen_random_uuid(), 'later');
         UPDATE customers SET email = 'c6@example.com' WHERE tenant_id = '{id}' AND name = 'c6';"
    );
    let seen = Mutex::new(Seen::default());
    let progress = |event: RelocationProgress| match event {
        RelocationProgress::Step(RelocationStep::Copied) => {
            blocking(source.batch_execute(&first)).unwrap();
            seen.lock().unwrap().copied = true;
        }
        RelocationProgress::Step(RelocationStep::Fenced) => {
            let now = blocking(contents(&tenant)).unwrap();
            seen.lock().unwrap().fenced = Some(now);
        }
        RelocationProgress::Copied { table, rows } => {
            let mut seen = seen.lock().unwrap();
            if seen.fenced.is_some() {
                seen.under.push((table, rows));
            } else if seen.copied {
                if seen.before.is_empty() {
                    blocking(source.batch_execute(&second)).unwrap();
                }
                seen.before.push((table, rows));
            }
        }
        _ => {}
    };
    let report = tenants
        .world
        .operator
        .relocate_with_progress(id, &to(PlacementKind::Database, SECOND), &TENANT, &progress)
        .await
        .unwrap();

    let seen = seen.into_inner().unwrap();
    // Before the fence: the rows of the changed buckets, a row or so each.
    let before: u64 = seen.before.iter().map(|(_, rows)| rows).sum();
    assert!((4..=8).contains(&before), "{:?}", seen.before);
    // Under the fence: the customers written since, alone.
    assert_eq!(seen.under.len(), 1, "{:?}", seen.under);
    assert_eq!(seen.under[0].0, "public.customers");
    assert!((2..=4).contains(&seen.under[0].1), "{:?}", seen.under);
    assert!(report.rows_copied < 60 + 12, "{}", report.rows_copied);

    let moved = handle_at(&db, id, &report.relocation.to).await;
    let after = contents(&moved).await.unwrap();
    let expected = seen.fenced.unwrap();
    assert_eq!(after, expected);
    let names: Vec<&str> = after.customers.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"later") && !names.contains(&"c2"));
    assert!(after.events.iter().any(|event| event.id == 1000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_patch_cannot_apply_is_copied_again_whole() {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 5).await;
    // Names unique per tenant (checked at commit at the source, row by row
    // at the destination), and events without a primary key.
    let source = tenants.world.admin(MAIN_SERVER, None).await;
    source
        .batch_execute(
            "ALTER TABLE customers ADD CONSTRAINT customers_name_key
                 UNIQUE (tenant_id, name) DEFERRABLE INITIALLY DEFERRED;
             ALTER TABLE events DROP CONSTRAINT events_pkey;",
        )
        .await
        .unwrap();
    tenants
        .world
        .admin(SECOND, None)
        .await
        .batch_execute(
            "CREATE UNIQUE INDEX customers_name_key ON customers (tenant_id, name);
             ALTER TABLE events DROP CONSTRAINT events_pkey;",
        )
        .await
        .unwrap();
    // Two customers swap their names once the first copy is done; an event
    // changes while the round before the fence copies.
    let swap = format!(
        "UPDATE customers SET name = CASE name WHEN 'c0' THEN 'c1' ELSE 'c0' END
             WHERE tenant_id = '{id}' AND name IN ('c0', 'c1')"
    );
    let change = format!("UPDATE events SET medium = -1 WHERE tenant_id = '{id}' AND id = 2");
    let seen = Mutex::new(Seen::default());
    let progress = |event: RelocationProgress| match event {
        RelocationProgress::Step(RelocationStep::Copied) => {
            blocking(source.batch_execute(&swap)).unwrap();
            seen.lock().unwrap().copied = true;
        }
        RelocationProgress::Step(RelocationStep::Fenced) => {
            let now = blocking(contents(&tenant)).unwrap();
            seen.lock().unwrap().fenced = Some(now);
        }
        RelocationProgress::Copied { table, rows } => {
            let mut seen = seen.lock().unwrap();
            if seen.fenced.is_some() {
                seen.under.push((table, rows));
            } else if seen.copied {
                if seen.before.is_empty() {
                    blocking(source.batch_execute(&change)).unwrap();
                }
                seen.before.push((table, rows));
            }
        }
        _ => {}
    };
    let report = tenants
        .world
        .operator
        .relocate_with_progress(id, &to(PlacementKind::Pool, SECOND), &TENANT, &progress)
        .await
        .unwrap();

    let seen = seen.into_inner().unwrap();
    // The swap crossed the destination's unique index: the customers, and
    // the invoices referring to them, copied whole before the fence; the
    // event, of a table without a key, had its table copied whole under it.
    assert_eq!(
        seen.before,
        [
            ("public.customers".to_owned(), 5),
            ("public.invoices".to_owned(), 5),
        ]
    );
    assert_eq!(seen.under, [("public.events".to_owned(), 5)]);
    let moved = handle_at(&db, id, &report.relocation.to).await;
    assert_eq!(contents(&moved).await.unwrap(), seen.fenced.unwrap());
}
