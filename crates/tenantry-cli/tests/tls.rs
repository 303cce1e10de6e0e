//! The command over TLS alone: against a server of the test's own that
//! refuses every plaintext connection, `migrate` and `tenants list` work
//! with `sslmode=verify-full`, and an untrusted certificate is a connection
//! error (exit 2) that says so.

mod support;

use support::Scratch;
use tenantry_test_support::cluster::{Cluster, Tls, roles};

#[test]
fn migrate_and_list_over_verified_tls_and_refuse_an_untrusted_certificate() {
    let server = Cluster::start(Tls::On);
    server.psql("CREATE DATABASE operated;\n");
    let files = server.certificates.as_ref().expect("TLS files");
    let migrations = tempfile::tempdir().expect("a migrations directory");
    for set in ["shared", "tenant"] {
        std::fs::create_dir(migrations.path().join(set)).expect("a set's directory");
    }
    std::fs::write(
        migrations.path().join("tenant").join("0001_notes.sql"),
        "CREATE TABLE notes (tenant_id uuid NOT NULL, id uuid NOT NULL, body text);\n\
         SELECT tenantry.tenant_key('notes', 'id');\nSELECT tenantry.isolate_table('notes');\n",
    )
    .expect("a migration");
    let url = |root: &std::path::Path| {
        format!(
            "postgres://postgres@localhost:{}/operated?sslmode=verify-full&sslrootcert={}",
            server.port,
            root.display()
        )
    };
    let trusted = url(&files.ca);
    let directory = migrations.path().to_str().expect("a UTF-8 path");
    let migrated = Scratch::run_bare(&[
        "--database-url",
        &trusted,
        "--app-role",
        roles::APP,
        "migrate",
        "--migrations",
        directory,
        "--json",
    ]);
    assert_eq!(migrated.expect_code(0).json()["success"], true);
    Scratch::run_bare(&["--database-url", &trusted, "tenants", "list"]).expect_code(0);
    let untrusted =
        Scratch::run_bare(&["--database-url", &url(&files.unknown_ca), "tenants", "list"]);
    untrusted.expect_code(2);
    assert!(
        untrusted.stderr.contains("certificate not trusted"),
        "{}",
        untrusted.stderr
    );
}
