//! Opening connections from the driver's settings: every host in turn, the
//! port list checked, and `target_session_attrs=read-write` honoured.

mod support;

use support::database::{TestDatabase, main_port};
use tenantry::{Config, Error, TenantId, Tenantry};

/// The application role's settings, with `hosts_and_ports` and `extra`.
fn settings(database: &TestDatabase, hosts_and_ports: &str, extra: &str) -> Config {
    Config::new(&format!(
        "{hosts_and_ports} user={} dbname={} {extra}",
        database.app_role, database.name
    ))
    .unwrap()
    .pool_only()
}

#[tokio::test]
async fn an_unreachable_host_is_skipped_for_the_next() {
    let database = TestDatabase::create().await;
    let hosts = format!("host=127.0.0.1,127.0.0.1 port=1,{}", main_port());
    let db = Tenantry::connect(settings(&database, &hosts, "").pool_size(1))
        .await
        .unwrap();
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let rows = tenant.raw_query("SELECT 1", &[]).await.unwrap();
    assert_eq!(rows[0].get::<_, i32>(0), 1);
}

#[tokio::test]
async fn a_port_list_that_fits_no_host_list_is_a_typed_error() {
    let database = TestDatabase::create().await;
    let hosts = "host=127.0.0.1,127.0.0.1,127.0.0.1 port=1,2";
    match Tenantry::connect(settings(&database, hosts, "")).await {
        Err(Error::Connect(message)) => assert!(message.contains("ports"), "{message}"),
        Err(other) => panic!("expected a connect error, got {other:?}"),
        Ok(_) => panic!("expected a connect error, got a connection"),
    }
}

#[tokio::test]
async fn a_read_only_server_is_refused_when_writes_are_asked_for() {
    let database = TestDatabase::create().await;
    database
        .admin()
        .await
        .batch_execute(&format!(
            "ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on",
            database.app_role, database.name
        ))
        .await
        .unwrap();
    let hosts = format!("host=127.0.0.1 port={}", main_port());
    match Tenantry::connect(settings(
        &database,
        &hosts,
        "target_session_attrs=read-write",
    ))
    .await
    {
        Err(Error::Connect(message)) => assert!(message.contains("read-only"), "{message}"),
        Err(other) => panic!("expected a connect error, got {other:?}"),
        Ok(_) => panic!("a read-only server was accepted for writes"),
    }
    Tenantry::connect(settings(&database, &hosts, ""))
        .await
        .expect("without read-write, the server is fine");
}
