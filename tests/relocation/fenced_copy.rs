//! The copy under the fence takes only what changed: a customer added
//! between the first copy and the fence has the customers copied again,
//! with the invoices that refer to them, while the events keep their first
//! copy; the destination then holds exactly the source's rows.

use std::sync::Mutex;

use tenantry::MAIN_SERVER;
use tenantry::ops::{PlacementKind, RelocationProgress, RelocationStep};
use tokio::runtime::Handle;

use super::fixtures::{contents, fill, handle_at, to};
use crate::support::NewCustomer;
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::Tenants;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_tables_that_changed_and_those_referring_to_them_are_copied_again() {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 3).await;
    let before = contents(&tenant).await.unwrap();

    // The tables copied after the fence went up, in order.
    let fenced = Mutex::new(false);
    let recopied = Mutex::new(Vec::new());
    let progress = |event: RelocationProgress| match event {
        // Copied, not yet fenced: the tenant writes one more customer.
        RelocationProgress::Step(RelocationStep::Copied) => {
            tokio::task::block_in_place(|| {
                Handle::current()
                    .block_on(async { tenant.insert(NewCustomer::named("late")).exec().await })
            })
            .unwrap();
        }
        RelocationProgress::Step(RelocationStep::Fenced) => *fenced.lock().unwrap() = true,
        RelocationProgress::Copied { table, rows } if *fenced.lock().unwrap() => {
            recopied.lock().unwrap().push((table, rows));
        }
        _ => {}
    };
    let report = tenants
        .world
        .operator
        .relocate_with_progress(id, &to(PlacementKind::Database, SECOND), &TENANT, &progress)
        .await
        .unwrap();

    assert_eq!(
        recopied.into_inner().unwrap(),
        [
            ("public.customers".to_owned(), 4),
            ("public.invoices".to_owned(), 3)
        ]
    );
    assert_eq!(report.rows_copied, 9 + 4 + 3, "the events copied once");
    let moved = handle_at(&db, id, &report.relocation.to).await;
    let after = contents(&moved).await.unwrap();
    assert_eq!(
        (after.invoices, after.events),
        (before.invoices, before.events)
    );
    let mut names: Vec<String> = after.customers.into_iter().map(|c| c.name).collect();
    names.sort();
    assert_eq!(names, ["c0", "c1", "c2", "late"]);
}
