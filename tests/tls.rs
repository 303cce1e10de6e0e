//! TLS beneath the splice, against servers of the test's own: one with TLS
//! and certificates the test makes (every plaintext TCP connection refused
//! but one role's), one without TLS. What `sslmode` promises holds, the
//! failures are typed and quick, and no query crosses the network in the
//! clear, cancel requests included.

mod support;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use support::notes::{NewNote, Note, with_notes};
use support::recorder::{Recorder, contains};
use tenantry::ops::migrate::{MigrateOptions, MigrationSet};
use tenantry::ops::{Migrations, NewTenant, Operator, PlacementKind};
use tenantry::{
    Config, ConnectFailure, ConnectOptions, Entity, Error, RootCerts, TenantId, Tenantry,
};
use tenantry_test_support::cluster::{Cluster, Tls, roles};
use uuid::Uuid;

/// The server with TLS, shared by the tests of this file.
fn tls_server() -> &'static Cluster {
    static SERVER: OnceLock<Cluster> = OnceLock::new();
    SERVER.get_or_init(|| with_notes(Cluster::start(Tls::On)))
}

/// The server without TLS.
fn plain_server() -> &'static Cluster {
    static SERVER: OnceLock<Cluster> = OnceLock::new();
    SERVER.get_or_init(|| with_notes(Cluster::start(Tls::Off)))
}

/// The application's connection string to `host:port`, with `extra`.
fn url(host: &str, port: u16, role: &str, extra: &str) -> String {
    format!(
        "host={host} port={port} user={role} dbname={} connect_timeout=5 {extra}",
        roles::APP
    )
}

fn ca(cluster: &Cluster) -> String {
    let files = cluster.certificates.as_ref().expect("a TLS server");
    format!("sslrootcert={}", files.ca.display())
}

async fn connect(url: &str) -> Result<Tenantry, Error> {
    let config = Config::new(url)?
        .pool_only()
        .pool_size(2)
        .wait_timeout(Duration::from_secs(5));
    tokio::time::timeout(Duration::from_secs(20), Tenantry::connect(config))
        .await
        .expect("connecting neither succeeds nor fails: it hangs")
}

/// Whether the tenant's session is encrypted, as the server sees it.
async fn encrypted(db: &Tenantry) -> bool {
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let rows = tenant
        .raw_query(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    rows[0].get(0)
}

fn failure(outcome: Result<Tenantry, Error>) -> (ConnectFailure, String) {
    match outcome {
        Err(error @ Error::Connect { failure, .. }) => (failure, error.to_string()),
        Err(other) => panic!("expected a connect error, got {other:?}"),
        Ok(_) => panic!("expected a connect error, got a connection"),
    }
}

#[tokio::test]
async fn verify_full_connects_to_the_host_its_certificate_names_and_reads_and_writes() {
    let server = tls_server();
    let db = connect(&url(
        "localhost",
        server.port,
        roles::APP,
        &format!("sslmode=verify-full {}", ca(server)),
    ))
    .await
    .unwrap();
    assert!(encrypted(&db).await);
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let note = tenant
        .insert(NewNote {
            id: Uuid::new_v4(),
            body: "over TLS".to_owned(),
        })
        .one()
        .await
        .unwrap();
    let read = tenant.select::<Note>().all().await.unwrap();
    assert_eq!(read, [note]);
}

#[tokio::test]
async fn verify_full_refuses_another_host_name_and_an_unknown_authority_at_once() {
    let server = tls_server();
    let started = Instant::now();
    let (wrong_host, message) = failure(
        connect(&url(
            "127.0.0.1",
            server.port,
            roles::APP,
            &format!("sslmode=verify-full {}", ca(server)),
        ))
        .await,
    );
    assert_eq!(wrong_host, ConnectFailure::HostnameMismatch, "{message}");
    let unknown = server.certificates.as_ref().unwrap().unknown_ca.display();
    let (unknown_ca, message) = failure(
        connect(&url(
            "localhost",
            server.port,
            roles::APP,
            &format!("sslmode=verify-full sslrootcert={unknown}"),
        ))
        .await,
    );
    assert_eq!(
        unknown_ca,
        ConnectFailure::CertificateNotTrusted,
        "{message}"
    );
    let (platform_roots, message) = failure(
        connect(&url(
            "localhost",
            server.port,
            roles::APP,
            "sslmode=verify-ca sslrootcert=system",
        ))
        .await,
    );
    assert_eq!(
        platform_roots,
        ConnectFailure::CertificateNotTrusted,
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refusals took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn verify_ca_checks_the_authority_but_not_the_host_name() {
    let server = tls_server();
    let db = connect(&url(
        "127.0.0.1",
        server.port,
        roles::APP,
        &format!("sslmode=verify-ca {}", ca(server)),
    ))
    .await
    .unwrap();
    assert!(encrypted(&db).await);
}

#[tokio::test]
async fn require_and_prefer_encrypt_without_checking_the_certificate() {
    let server = tls_server();
    for mode in ["require", "prefer"] {
        let db = connect(&url(
            "127.0.0.1",
            server.port,
            roles::APP,
            &format!("sslmode={mode}"),
        ))
        .await
        .unwrap();
        assert!(encrypted(&db).await, "{mode}");
    }
}

#[tokio::test]
async fn require_against_a_server_without_tls_fails_at_once_and_prefer_falls_back() {
    let server = plain_server();
    let started = Instant::now();
    let (refused, message) = failure(
        connect(&url(
            "127.0.0.1",
            server.port,
            roles::APP,
            "sslmode=require",
        ))
        .await,
    );
    assert_eq!(refused, ConnectFailure::TlsUnavailable, "{message}");
    assert!(message.contains("does not accept TLS"), "{message}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let db = connect(&url("127.0.0.1", server.port, roles::APP, "sslmode=prefer"))
        .await
        .unwrap();
    assert!(!encrypted(&db).await);
}

#[tokio::test]
async fn a_unix_domain_socket_is_never_encrypted_so_modes_that_require_tls_refuse_it() {
    let server = tls_server();
    let over_socket = |mode: &str| {
        format!(
            "host={} port={} user={} dbname={} sslmode={mode}",
            server.socket_directory().display(),
            server.port,
            roles::APP,
            roles::APP
        )
    };
    let (refused, message) = failure(connect(&over_socket("require")).await);
    assert_eq!(refused, ConnectFailure::TlsUnavailable, "{message}");
    let db = connect(&over_socket("prefer")).await.unwrap();
    assert!(!encrypted(&db).await);
}

#[tokio::test]
async fn a_client_certificate_authenticates_its_role() {
    let server = tls_server();
    let files = server.certificates.as_ref().unwrap();
    let options = ConnectOptions::new(&url(
        "localhost",
        server.port,
        roles::CERTIFICATE,
        "sslmode=verify-full",
    ))
    .unwrap()
    .ssl_root_certs(RootCerts::File(files.ca.clone()))
    .ssl_client_cert(&files.client_cert, &files.client_key);
    let client = options.connect().await.unwrap();
    let row = client
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), roles::CERTIFICATE);
    let without = ConnectOptions::new(&url(
        "localhost",
        server.port,
        roles::CERTIFICATE,
        &format!("sslmode=verify-full {}", ca(server)),
    ))
    .unwrap();
    match without.connect().await {
        Err(Error::Connect {
            failure: ConnectFailure::AuthenticationFailed,
            ..
        }) => {}
        other => panic!("expected an authentication failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_relay_between_client_and_server_sees_no_query_in_the_clear() {
    let server = tls_server();
    let relay = Recorder::start(server.port).await;
    let secret = format!("secret-{}", Uuid::new_v4());
    let db = connect(&url("127.0.0.1", relay.port, roles::APP, "sslmode=require"))
        .await
        .unwrap();
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    tenant
        .insert(NewNote {
            id: Uuid::new_v4(),
            body: secret.clone(),
        })
        .one()
        .await
        .unwrap();
    let found = tenant
        .select::<Note>()
        .filter(Note::BODY.eq(secret.clone()))
        .all()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let sent = relay.sent();
    assert!(!sent.is_empty());
    for bytes in &sent {
        assert!(
            !contains(bytes, secret.as_bytes()),
            "the secret crossed in the clear"
        );
        assert!(
            !contains(bytes, b"INSERT INTO"),
            "a statement crossed in the clear"
        );
    }
    // The same through the relay without TLS: the relay does see it, so the
    // check above can fail.
    let plain = connect(&url(
        "127.0.0.1",
        relay.port,
        roles::PLAINTEXT,
        "sslmode=disable",
    ))
    .await
    .unwrap();
    plain
        .tenant(TenantId::random())
        .await
        .unwrap()
        .insert(NewNote {
            id: Uuid::new_v4(),
            body: secret.clone(),
        })
        .one()
        .await
        .unwrap();
    assert!(
        relay
            .sent()
            .iter()
            .any(|bytes| contains(bytes, secret.as_bytes()))
    );
}

/// The code of a CancelRequest, after its length.
const CANCEL_REQUEST: [u8; 8] = [0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e];
/// The code of an SSLRequest, after its length.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

#[tokio::test]
async fn the_cancel_request_of_a_dropped_call_goes_over_tls_too() {
    let server = tls_server();
    let relay = Recorder::start(server.port).await;
    let db = connect(&url("127.0.0.1", relay.port, roles::APP, "sslmode=require"))
        .await
        .unwrap();
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let marker = format!("sleeper_{}", Uuid::new_v4().simple());
    let sleep = format!("SELECT pg_sleep(30) AS {marker}");
    let sleeping = tenant.raw_query(&sleep, &[]);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), sleeping)
            .await
            .is_err()
    );
    let admin = ConnectOptions::new(&url(
        "localhost",
        server.port,
        "postgres",
        &format!("sslmode=verify-full {}", ca(server)),
    ))
    .unwrap()
    .connect()
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let running: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1",
                &[&format!("%{marker}")],
            )
            .await
            .unwrap()
            .get(0);
        if running == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dropped call's statement still runs: no cancel arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = relay.sent();
    assert!(sent.len() >= 2, "a connection and its cancel request");
    for bytes in &sent {
        assert!(
            bytes.starts_with(&SSL_REQUEST),
            "a connection began in the clear"
        );
        assert!(
            !contains(bytes, &CANCEL_REQUEST),
            "a cancel request crossed in the clear"
        );
    }
}

/// A task of a tenant, as the examples' migrations make it.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "tasks", tenant_scoped)]
struct Task {
    #[entity(primary_key)]
    id: Uuid,
    tenant_id: TenantId,
    title: String,
}

static TENANT_MIGRATIONS: MigrationSet = tenantry::embed_migrations!("examples/migrations/tenant");

#[tokio::test]
async fn the_operator_and_the_registry_listener_work_over_tls_alone() {
    let server = tls_server();
    let database = format!("ops_{}", Uuid::new_v4().simple());
    server.psql(&format!("CREATE DATABASE {database};\n"));
    let secured = |role: &str| {
        format!(
            "host=localhost port={} user={role} dbname={database} sslmode=verify-full {}",
            server.port,
            ca(server)
        )
    };
    let operator = Operator::new(Config::new(&secured("postgres")).unwrap())
        .grant_to(roles::APP)
        .unwrap()
        .template_database(&format!("{database}_template"))
        .unwrap();
    let migrations = Migrations {
        shared: MigrationSet::new(&[]),
        tenant: TENANT_MIGRATIONS.clone(),
    };
    let report = operator
        .migrate(&migrations, MigrateOptions::default())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    let mut records = Vec::new();
    for (slug, placement) in [
        ("tls_pool", PlacementKind::Pool),
        ("tls_schema", PlacementKind::Schema),
        ("tls_database", PlacementKind::Database),
    ] {
        let slug = format!("{slug}_{}", &database[4..12]);
        let tenant = NewTenant::new(&slug, placement);
        records.push(
            operator
                .provision(&tenant, &TENANT_MIGRATIONS)
                .await
                .unwrap(),
        );
    }
    let db = Tenantry::connect(Config::new(&secured(roles::APP)).unwrap().registry())
        .await
        .unwrap();
    for record in &records {
        let tenant = db.tenant(record.id).await.unwrap();
        tenant
            .insert(NewTask {
                id: Uuid::new_v4(),
                title: record.slug.clone(),
            })
            .exec()
            .await
            .unwrap();
        let titles: Vec<String> = tenant
            .select::<Task>()
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|task| task.title)
            .collect();
        assert_eq!(titles, std::slice::from_ref(&record.slug));
    }
    // Every session of the application's, the registry listener's included,
    // is encrypted (plaintext ones are refused by the server anyway).
    let admin = ConnectOptions::new(&secured("postgres"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let sessions = admin
        .query(
            "SELECT a.query, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
             WHERE a.usename = $1",
            &[&roles::APP],
        )
        .await
        .unwrap();
    assert!(
        sessions
            .iter()
            .any(|row| row.get::<_, String>(0).starts_with("LISTEN")),
        "the registry listener is connected"
    );
    assert!(sessions.iter().all(|row| row.get::<_, bool>(1)));
    drop(db);
    for record in &records {
        if let Some(tenant_database) = record.placement.database() {
            server.psql(&format!("DROP DATABASE {tenant_database} WITH (FORCE);\n"));
        }
    }
}
