//! Transactions as closures on a real PostgreSQL: commit on `Ok`, rollback
//! on `Err` and on panic, bounded runs again after serialization failures,
//! isolation and read-only options, savepoints.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use support::projects::{Project, database, seeded};
use tenantry::{Error, Isolation, Tenant, TransactionOptions};

/// The names of the tenant's projects, by id.
async fn names(tenant: &Tenant) -> Vec<String> {
    tenant
        .select::<Project>()
        .order_by(Project::ID.asc())
        .columns(Project::NAME)
        .all()
        .await
        .unwrap()
}

fn project(id: i64, name: &str) -> support::projects::NewProject {
    support::projects::NewProject {
        id,
        name: name.to_owned(),
    }
}

/// Raises a serialization failure, as a conflicting serializable
/// transaction would.
const SERIALIZATION_FAILURE: &str =
    "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$";

#[tokio::test]
async fn ok_commits_err_and_panic_roll_back() {
    let database = database().await;
    let (acme, globex) = seeded(&database).await;

    let id = acme
        .run_transaction(TransactionOptions::default(), async |tx| {
            tx.insert(project(3, "Kept")).one().await.map(|p| p.id)
        })
        .await
        .unwrap();
    assert_eq!(id, 3);
    assert_eq!(names(&acme).await, ["Web", "Idle", "Kept"]);

    let result: Result<(), Error> = acme
        .run_transaction(TransactionOptions::default(), async |tx| {
            tx.insert(project(4, "Dropped")).exec().await?;
            Err(Error::Config("changed my mind".into()))
        })
        .await;
    assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
    assert_eq!(names(&acme).await, ["Web", "Idle", "Kept"]);

    let panicking = acme.clone();
    let joined = tokio::spawn(async move {
        panicking
            .run_transaction(TransactionOptions::default(), async |tx| {
                tx.insert(project(5, "Panicked")).exec().await?;
                panic!("a bug in the closure");
                #[allow(unreachable_code)]
                Ok::<(), Error>(())
            })
            .await
    })
    .await;
    assert!(joined.unwrap_err().is_panic());
    assert_eq!(names(&acme).await, ["Web", "Idle", "Kept"]);
    assert_eq!(names(&globex).await, ["Other", "Busy"]);
}

#[tokio::test]
async fn serialization_failures_run_the_closure_again_a_bounded_number_of_times() {
    let database = database().await;
    let (acme, _) = seeded(&database).await;

    // Fails once, then succeeds: run twice, committed once.
    let runs = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&runs);
    acme.run_transaction(TransactionOptions::default(), async move |tx| {
        let run = counted.fetch_add(1, Ordering::SeqCst);
        tx.insert(project(10 + i64::from(run), "Retried"))
            .exec()
            .await?;
        if run == 0 {
            tx.raw_execute(SERIALIZATION_FAILURE, &[]).await?;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(names(&acme).await, ["Web", "Idle", "Retried"]);

    // Always fails: run `attempts` times, then the failure is returned.
    let runs = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&runs);
    let result: Result<(), Error> = acme
        .run_transaction(TransactionOptions::default().attempts(4), async move |tx| {
            counted.fetch_add(1, Ordering::SeqCst);
            tx.raw_execute(SERIALIZATION_FAILURE, &[]).await?;
            Ok(())
        })
        .await;
    assert!(matches!(result, Err(Error::Database { .. })), "{result:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 4);

    // Another error is not retried.
    let runs = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&runs);
    let result: Result<(), Error> = acme
        .run_transaction(TransactionOptions::default(), async move |tx| {
            counted.fetch_add(1, Ordering::SeqCst);
            tx.insert(project(1, "Duplicate")).exec().await.map(drop)
        })
        .await;
    assert!(
        matches!(result, Err(Error::Constraint { .. })),
        "{result:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn isolation_and_read_only_are_the_transactions() {
    let database = database().await;
    let (acme, _) = seeded(&database).await;

    let options = TransactionOptions::default()
        .isolation(Isolation::Serializable)
        .read_only();
    let settings = acme
        .run_transaction(options, async |tx| {
            let row = tx
                .raw_query(
                    "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')",
                    &[],
                )
                .await?;
            Ok((row[0].try_get::<_, String>(0)?, row[0].try_get::<_, String>(1)?))
        })
        .await
        .unwrap();
    assert_eq!(settings, ("serializable".to_owned(), "on".to_owned()));

    let result = acme
        .run_transaction(TransactionOptions::default().read_only(), async |tx| {
            tx.insert(project(7, "Written")).exec().await
        })
        .await;
    assert!(result.is_err(), "a read-only transaction wrote: {result:?}");
    assert_eq!(names(&acme).await, ["Web", "Idle"]);
    // The tenant context is there under the options too.
    let seen = acme
        .run_transaction(
            TransactionOptions::default().isolation(Isolation::RepeatableRead),
            async |tx| tx.select::<Project>().count().await,
        )
        .await
        .unwrap();
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn a_failed_savepoint_keeps_the_rest_of_the_transaction() {
    let database = database().await;
    let (acme, _) = seeded(&database).await;

    acme.run_transaction(TransactionOptions::default(), async |tx| {
        tx.insert(project(3, "Before")).exec().await?;
        let inner = tx
            .savepoint(async |tx| {
                tx.insert(project(4, "Inner")).exec().await?;
                tx.insert(project(1, "Duplicate")).exec().await
            })
            .await;
        assert!(matches!(inner, Err(Error::Constraint { .. })), "{inner:?}");
        tx.savepoint(async |tx| tx.insert(project(5, "Nested")).exec().await)
            .await?;
        tx.insert(project(6, "After")).exec().await?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        names(&acme).await,
        ["Web", "Idle", "Before", "Nested", "After"]
    );
}
