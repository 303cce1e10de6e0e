//! Keyset pagination on a real PostgreSQL: pages follow each other without
//! gap or repeat through ties, and never show another tenant's rows.

mod support;

use support::projects::{Task, database, seeded, task};
use tenantry::{Keyset, Tenant};

/// Every page of `size` of the tenant's tasks by hours (descending, ties by
/// id), each one started after the last row of the one before.
async fn pages(tenant: &Tenant, size: u64) -> Vec<Vec<(i32, i64)>> {
    let by_hours = Keyset::desc((Task::HOURS, Task::ID));
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let select = tenant.select::<Task>().limit(size);
        let select = match cursor {
            None => select.keyset(by_hours),
            Some(last) => select.after(by_hours.after(last)),
        };
        let page: Vec<(i32, i64)> = select.columns((Task::HOURS, Task::ID)).all().await.unwrap();
        let Some(&last) = page.last() else {
            return pages;
        };
        cursor = Some(last);
        pages.push(page);
    }
}

#[tokio::test]
async fn pages_follow_each_other_through_ties() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;
    acme.insert_many((4..=10).map(|id| task(id, 1, "more", (id % 3) as i32 + 1, 100, None)))
        .exec()
        .await
        .unwrap();

    let acme_pages = pages(&acme, 3).await;
    assert_eq!(
        acme_pages,
        [
            vec![(5, 2), (3, 8), (3, 5)],
            vec![(3, 1), (2, 10), (2, 7)],
            vec![(2, 4), (1, 9), (1, 6)],
            vec![(1, 3)],
        ]
    );
    let all: Vec<(i32, i64)> = acme
        .select::<Task>()
        .order_by(Task::HOURS.desc())
        .order_by(Task::ID.desc())
        .columns((Task::HOURS, Task::ID))
        .all()
        .await
        .unwrap();
    assert_eq!(acme_pages.concat(), all);

    // The other tenant's pages are its own four tasks.
    assert_eq!(
        pages(&globex, 3).await,
        [vec![(400, 4), (300, 3), (200, 2)], vec![(100, 1)]]
    );
}
