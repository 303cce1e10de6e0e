//! Connections lost under the application: idle connections whose backends
//! were terminated are replaced before a statement is sent; a statement that
//! never reached the server is retried once on another connection; one that
//! may have reached it is not retried, and its error says so, with the
//! server's message or how the connection ended.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::database::{TestDatabase, url_for};
use support::kills::{Killer, terminate_backends_blocking, terminate_backends_of};
use support::relay::Relay;
use support::{Customer, NewCustomer, Plan};
use tenantry::{Config, Error, TenantId, Tenantry};

/// The calls the tests make, by what a lost connection does to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Call {
    TenantSelect,
    TenantInsert,
    GlobalRead,
    TransactionBegin,
    /// A statement or the commit of a transaction: never retried.
    InTransaction,
}

/// Makes `call` (a whole transaction for `TransactionBegin`) and says which
/// call failed, if one did.
async fn make(db: &Tenantry, tenant: TenantId, call: Call) -> Result<(), (Call, Error)> {
    let failed = |error| (call, error);
    let tenant = db.tenant(tenant).await.map_err(failed)?;
    let made = match call {
        Call::TenantSelect => tenant.select::<Customer>().count().await.map(drop),
        Call::TenantInsert => tenant
            .insert(NewCustomer::named("Ada"))
            .exec()
            .await
            .map(drop),
        Call::GlobalRead => db.global().select::<Plan>().all().await.map(drop),
        Call::TransactionBegin | Call::InTransaction => {
            let transaction = tenant.transaction().await.map_err(failed)?;
            let in_transaction = |error| (Call::InTransaction, error);
            transaction
                .insert(NewCustomer::named("Bob"))
                .exec()
                .await
                .map_err(in_transaction)?;
            return transaction.commit().await.map_err(in_transaction);
        }
    };
    made.map_err(failed)
}

#[tokio::test]
async fn idle_connections_whose_backends_were_terminated_are_replaced_before_use() {
    let database = TestDatabase::create().await;
    let db = Tenantry::connect(database.app_config().pool_size(4))
        .await
        .unwrap();
    let tenant = TenantId::random();
    for call in [
        Call::TenantSelect,
        Call::TenantInsert,
        Call::GlobalRead,
        Call::TransactionBegin,
    ] {
        // Four connections, idle in the pool.
        let acme = db.tenant(tenant).await.unwrap();
        let open = futures_util::future::try_join_all((0..4).map(|_| acme.transaction()))
            .await
            .unwrap();
        for transaction in open {
            transaction.commit().await.unwrap();
        }
        // Their drivers cannot run before the server has closed them all.
        let terminated = terminate_backends_blocking(database.port, &database.app_role);
        assert_eq!(terminated, 4, "the pool held four connections");
        if let Err((call, error)) = make(&db, tenant, call).await {
            panic!("{call:?} failed on a pool of dead connections: {error}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_backends_killed_every_200_ms_only_statements_that_were_sent_fail() {
    let database = TestDatabase::create().await;
    let db = Arc::new(database.connect().await);
    let killer = Killer::start(
        database.admin().await,
        database.app_role.clone(),
        Duration::from_millis(200),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let (db, stop) = (db.clone(), stop.clone());
            tokio::spawn(async move {
                let tenant = TenantId::random();
                let mut outcomes = Vec::new();
                while !stop.load(Ordering::Acquire) {
                    for call in [
                        Call::TenantSelect,
                        Call::TenantInsert,
                        Call::GlobalRead,
                        Call::TransactionBegin,
                    ] {
                        outcomes.push(make(&db, tenant, call).await);
                    }
                }
                outcomes
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop.store(true, Ordering::Release);
    let terminated = killer.stop().await;
    let mut calls = 0;
    let mut failures: BTreeMap<(Call, bool, String), usize> = BTreeMap::new();
    for worker in workers {
        for outcome in worker.await.unwrap() {
            calls += 1;
            if let Err((call, error)) = outcome {
                let sent = matches!(error, Error::ConnectionLost { sent: true, .. });
                *failures.entry((call, sent, error.to_string())).or_default() += 1;
            }
        }
    }
    let failed: usize = failures.values().sum();
    eprintln!("{terminated} backends terminated; {failed} of {calls} calls failed:");
    for ((call, sent, error), count) in &failures {
        eprintln!("{count:5} {call:?} (sent: {sent}): {error}");
    }
    assert!(terminated > 0, "the killer terminated no backend");
    let never_sent: Vec<_> = failures
        .iter()
        .filter(|((call, sent, _), _)| *call != Call::InTransaction && !sent)
        .collect();
    assert!(
        never_sent.is_empty(),
        "calls failed that never reached the server: {never_sent:#?}"
    );
}

#[tokio::test]
async fn a_terminated_backend_is_reported_with_the_servers_message_and_its_write_is_not_retried() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    acme.select::<Customer>().count().await.unwrap();
    let admin = database.admin().await;
    let role = database.app_role.clone();
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        terminate_backends_of(&admin, &role).await
    });
    let started = Instant::now();
    // The row is inserted after the sleep: a retry would insert it.
    let inserted = acme
        .raw_execute(
            "INSERT INTO customers (id, tenant_id, name)
             SELECT gen_random_uuid(), current_setting('tenantry.tenant_id')::uuid, 'Ada'
             FROM pg_sleep(3)",
            &[],
        )
        .await;
    assert_eq!(killer.await.unwrap(), 1);
    match inserted {
        Err(error @ Error::ConnectionLost { sent: true, .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("terminating connection due to administrator command"),
                "{message}"
            );
            assert!(message.contains("may have run"), "{message}");
        }
        other => panic!("expected a connection lost after sending, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the insert was retried"
    );
    let admin = database.admin().await;
    let rows: i64 = admin
        .query_one("SELECT count(*) FROM customers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "the lost insert was run again");
}

#[tokio::test]
async fn a_connection_cut_without_a_word_from_the_server_says_how_it_ended() {
    let database = TestDatabase::create().await;
    let relay = Relay::start(database.port).await;
    let url = url_for(relay.port, &database.name, &database.app_role);
    let db = Tenantry::connect(Config::new(&url).unwrap().pool_only().pool_size(1))
        .await
        .unwrap();
    let acme = db.tenant(TenantId::random()).await.unwrap();
    acme.select::<Customer>().count().await.unwrap();
    let cutting = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        relay.cut();
    });
    match acme.raw_query("SELECT pg_sleep(3)", &[]).await {
        Err(error @ Error::ConnectionLost { sent: true, .. }) => {
            let message = error.to_string();
            assert!(message.contains("I/O: unexpected end of file"), "{message}");
        }
        other => panic!("expected a connection lost after sending, got {other:?}"),
    }
    cutting.await.unwrap();
}
