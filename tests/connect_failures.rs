//! Connections that cannot be opened fail with a typed [`ConnectFailure`]
//! that says why, and the server's message or the socket's error in
//! `Display`: the same from the application's pools, from one connection,
//! and from the operator. Against a server of the test's own, which asks
//! one role for a password.

use std::sync::OnceLock;
use std::time::Duration;

use tenantry::ops::Operator;
use tenantry::{Config, ConnectFailure, ConnectOptions, Error, Tenantry};
use tenantry_test_support::cluster::{Cluster, Tls, roles};

fn server() -> &'static Cluster {
    static SERVER: OnceLock<Cluster> = OnceLock::new();
    SERVER.get_or_init(|| {
        let cluster = Cluster::start(Tls::Off);
        cluster.psql("CREATE ROLE no_slots LOGIN CONNECTION LIMIT 0;\n");
        cluster
    })
}

fn url(port: u16, role: &str, database: &str, extra: &str) -> String {
    format!("host=127.0.0.1 port={port} user={role} dbname={database} connect_timeout=5 {extra}")
}

/// What each way of connecting says of `url`: the pool's, one
/// connection's and the operator's failure, which must agree.
async fn failure_of(url: &str) -> (ConnectFailure, String) {
    let pool = Tenantry::connect(Config::new(url).unwrap().pool_only().pool_size(1)).await;
    let single = ConnectOptions::new(url).unwrap().connect().await;
    let operator = Operator::new(Config::new(url).unwrap()).tenants().await;
    let Err(Error::Connect { failure, .. }) = &single else {
        panic!("expected a connect error from one connection, got {single:?}");
    };
    let message = single.as_ref().unwrap_err().to_string();
    match pool {
        Err(Error::Connect {
            failure: pooled, ..
        }) => assert_eq!(pooled, *failure, "{url}"),
        other => panic!(
            "expected a connect error from the pool, got {:?}",
            other.err()
        ),
    }
    match operator {
        Err(tenantry::ops::Error::Runtime(Error::Connect {
            failure: operated, ..
        })) => assert_eq!(operated, *failure, "{url}"),
        other => panic!("expected a connect error from the operator, got {other:?}"),
    }
    (*failure, message)
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_failure_with_the_servers_message() {
    let port = server().port;
    let (failure, message) = failure_of(&url(
        port,
        roles::PASSWORD_ROLE,
        roles::APP,
        "password=wrong",
    ))
    .await;
    assert_eq!(failure, ConnectFailure::AuthenticationFailed);
    assert!(
        message.contains("password authentication failed"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_password_says_so() {
    let (failure, message) =
        failure_of(&url(server().port, roles::PASSWORD_ROLE, roles::APP, "")).await;
    assert_eq!(failure, ConnectFailure::MissingPassword, "{message}");
    let right = url(
        server().port,
        roles::PASSWORD_ROLE,
        roles::APP,
        &format!("password='{}'", roles::PASSWORD),
    );
    ConnectOptions::new(&right)
        .unwrap()
        .connect()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unknown_role_and_an_unknown_database_are_told_apart() {
    let port = server().port;
    let (role, message) = failure_of(&url(port, "nobody_here", roles::APP, "")).await;
    assert_eq!(role, ConnectFailure::UnknownRole);
    assert!(message.contains("nobody_here"), "{message}");
    let (database, message) = failure_of(&url(port, roles::APP, "no_such_database", "")).await;
    assert_eq!(database, ConnectFailure::UnknownDatabase);
    assert!(message.contains("no_such_database"), "{message}");
}

#[tokio::test]
async fn a_role_without_connection_slots_is_told_so() {
    let (failure, message) = failure_of(&url(server().port, "no_slots", roles::APP, "")).await;
    assert_eq!(failure, ConnectFailure::TooManyConnections, "{message}");
}

#[tokio::test]
async fn a_port_nothing_listens_on_is_refused_with_the_sockets_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (failure, message) = failure_of(&url(closed, roles::APP, roles::APP, "")).await;
    assert_eq!(failure, ConnectFailure::Refused);
    assert!(
        message.contains(&format!("127.0.0.1:{closed}")),
        "{message}"
    );
    assert!(message.to_lowercase().contains("refused"), "{message}");
}

#[tokio::test]
async fn a_server_shutting_down_is_unavailable_not_unreachable() {
    let cluster = Cluster::start(Tls::Off);
    let app = url(cluster.port, roles::APP, roles::APP, "");
    // An open session keeps a smart shutdown waiting, refusing newcomers.
    let session = ConnectOptions::new(&app).unwrap().connect().await.unwrap();
    cluster.begin_smart_shutdown();
    let mut outcome = None;
    for _ in 0..50 {
        match ConnectOptions::new(&app).unwrap().connect().await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(error) => {
                outcome = Some(error);
                break;
            }
        }
    }
    match outcome {
        Some(
            error @ Error::Connect {
                failure: ConnectFailure::ServerUnavailable,
                ..
            },
        ) => assert!(error.to_string().contains("shutting down"), "{error}"),
        other => panic!("expected the server to be unavailable, got {other:?}"),
    }
    drop(session);
}
