//! Opening connections from the driver's settings: every host in turn, the
//! port list checked, hosts tried in random order with
//! `load_balance_hosts=random`, and every `target_session_attrs` honoured.

mod support;

use support::database::{TestDatabase, main_port};
use tenantry::{Config, ConnectFailure, ConnectOptions, Error, TenantId, Tenantry};
use tenantry_test_support::servers::SECOND_PORT;

/// The application role's settings, with `hosts_and_ports` and `extra`.
fn settings(database: &TestDatabase, hosts_and_ports: &str, extra: &str) -> Config {
    Config::new(&format!(
        "{hosts_and_ports} user={} dbname={} {extra}",
        database.app_role, database.name
    ))
    .unwrap()
    .pool_only()
}

/// Makes the application role's sessions in `database` read-only unless
/// they say otherwise.
async fn make_read_only_by_default(database: &TestDatabase) {
    database
        .admin()
        .await
        .batch_execute(&format!(
            "ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on",
            database.app_role, database.name
        ))
        .await
        .unwrap();
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
        Err(error @ Error::Connect { .. }) => {
            assert!(error.to_string().contains("ports"), "{error}")
        }
        Err(other) => panic!("expected a connect error, got {other:?}"),
        Ok(_) => panic!("expected a connect error, got a connection"),
    }
}

#[tokio::test]
async fn a_read_only_server_is_refused_when_writes_are_asked_for() {
    let database = TestDatabase::create().await;
    make_read_only_by_default(&database).await;
    let hosts = format!("host=127.0.0.1 port={}", main_port());
    match Tenantry::connect(settings(
        &database,
        &hosts,
        "target_session_attrs=read-write",
    ))
    .await
    {
        Err(
            error @ Error::Connect {
                failure: ConnectFailure::WrongServerKind,
                ..
            },
        ) => assert!(error.to_string().contains("read-only"), "{error}"),
        Err(other) => panic!("expected a connect error, got {other:?}"),
        Ok(_) => panic!("a read-only server was accepted for writes"),
    }
    Tenantry::connect(settings(&database, &hosts, ""))
        .await
        .expect("without read-write, the server is fine");
}

/// Which server port `options` reach, connection by connection.
async fn ports_reached(options: &ConnectOptions, connections: usize) -> Vec<i32> {
    let mut ports = Vec::new();
    for _ in 0..connections {
        let client = options.connect().await.unwrap();
        let row = client
            .query_one("SELECT inet_server_port()", &[])
            .await
            .unwrap();
        ports.push(row.get(0));
    }
    ports
}

#[tokio::test]
async fn load_balance_hosts_random_spreads_connections_over_the_hosts() {
    let database = TestDatabase::create().await;
    let second = TestDatabase::empty_on(SECOND_PORT, Some(&database.suffix)).await;
    assert_eq!(second.name, database.name);
    let hosts = format!(
        "host=127.0.0.1,127.0.0.1 port={},{SECOND_PORT} user={} dbname={}",
        main_port(),
        database.app_role,
        database.name
    );
    let ordered = ConnectOptions::new(&hosts).unwrap();
    let ports = ports_reached(&ordered, 6).await;
    assert!(
        ports.iter().all(|port| *port == i32::from(main_port())),
        "{ports:?}"
    );
    let random = ConnectOptions::new(&format!("{hosts} load_balance_hosts=random")).unwrap();
    let ports = ports_reached(&random, 24).await;
    for port in [main_port(), SECOND_PORT] {
        assert!(
            ports.contains(&i32::from(port)),
            "{port} never reached: {ports:?}"
        );
    }
}

#[tokio::test]
async fn target_session_attrs_keeps_only_the_kind_of_server_asked_for() {
    let database = TestDatabase::create().await;
    let url = |attrs: &str| {
        format!(
            "host=127.0.0.1 port={} user={} dbname={} target_session_attrs={attrs}",
            main_port(),
            database.app_role,
            database.name
        )
    };
    // The test server is a primary that accepts writes.
    for attrs in ["any", "read-write", "primary", "prefer-standby"] {
        ConnectOptions::new(&url(attrs))
            .unwrap()
            .connect()
            .await
            .unwrap_or_else(|error| panic!("{attrs}: {error}"));
    }
    for attrs in ["standby", "read-only"] {
        match ConnectOptions::new(&url(attrs)).unwrap().connect().await {
            Err(Error::Connect {
                failure: ConnectFailure::WrongServerKind,
                ..
            }) => {}
            other => panic!("{attrs}: expected the wrong kind of server, got {other:?}"),
        }
    }
    make_read_only_by_default(&database).await;
    ConnectOptions::new(&url("read-only"))
        .unwrap()
        .connect()
        .await
        .expect("a read-only session is what read-only asks for");
}
