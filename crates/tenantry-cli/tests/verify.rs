//! `tenantry verify`: a migrated database is clean (exit 0); a scoped table
//! without row-level security, on either server, is a finding (exit 1).

mod support;

use support::{SECOND, Scratch};
use tenantry_postgres::MAIN_SERVER;

/// A deployment whose tenant set makes one properly isolated table.
fn migrated(scratch: Scratch) -> Scratch {
    scratch.migration(
        "shared",
        "0001_create_plans.sql",
        "CREATE TABLE plans (id text PRIMARY KEY);",
    );
    scratch.migration(
        "tenant",
        "0001_create_customers.sql",
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL);
         SELECT tenantry.tenant_key('customers', 'id');
         SELECT tenantry.isolate_table('customers');",
    );
    scratch.migrate(&[]).expect_code(0);
    scratch
}

/// A tenant-scoped table `table`, with an index led by the tenant column
/// but no row-level security.
fn unprotected(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id))"
    )
}

#[test]
fn a_migrated_database_is_clean_and_an_unprotected_table_is_a_finding() {
    let scratch = migrated(Scratch::new());
    scratch.provision_schema("acme", MAIN_SERVER);

    let clean = scratch.run(&["verify"]);
    clean.expect_code(0);
    assert_eq!(clean.stdout, "0 findings on 1 server\n");
    let document = scratch.run(&["verify", "--json"]).expect_code(0).json();
    assert_eq!(document["clean"], true);
    assert_eq!(document["findings"], 0);
    assert_eq!(document["servers"][0]["server"], MAIN_SERVER);

    // In a tenant's schema, which the default (every migrated schema) covers.
    scratch.query(&unprotected("tenant_acme.notes"));
    let found = scratch.run(&["verify"]);
    found.expect_code(1);
    let line = found
        .stdout
        .lines()
        .find(|line| line.contains("tenant_acme.notes"))
        .unwrap_or_else(|| panic!("the defect is not reported:\n{}", found.stdout));
    assert!(line.starts_with("main: "), "{line}");
    assert!(line.contains("row-level security is not enabled"), "{line}");
    assert!(found.stdout.ends_with("on 1 server\n"), "{}", found.stdout);

    let document = scratch.run(&["verify", "--json"]).expect_code(1).json();
    assert_eq!(document["clean"], false);
    let messages = document["servers"][0]["findings"]
        .as_array()
        .expect("findings");
    assert!(
        messages
            .iter()
            .any(|message| message.as_str().unwrap().contains("tenant_acme.notes")),
        "{document:#}"
    );

    // Only the schemas asked for are checked.
    scratch
        .run(&["verify", "--schema", "public"])
        .expect_code(0);
    scratch
        .run(&["verify", "--schema", "tenant_acme"])
        .expect_code(1);
}

#[test]
fn an_application_role_that_bypasses_row_level_security_is_a_finding() {
    let scratch = migrated(Scratch::new());
    scratch.query(&format!("ALTER ROLE {} BYPASSRLS", scratch.app_role));
    let found = scratch.run(&["verify"]);
    found.expect_code(1);
    assert!(
        found
            .stdout
            .contains(&format!("{} has BYPASSRLS", scratch.app_role)),
        "{}",
        found.stdout
    );
}

#[test]
fn every_configured_server_is_verified() {
    let scratch = migrated(Scratch::new().with_second_server());
    let clean = scratch.run(&["verify"]);
    clean.expect_code(0);
    assert_eq!(clean.stdout, "0 findings on 2 servers\n");

    scratch.query_second(&unprotected("public.notes"));
    let found = scratch.run(&["verify"]);
    found.expect_code(1);
    assert!(
        found
            .stdout
            .lines()
            .any(|line| line.starts_with(&format!("{SECOND}: public.notes "))),
        "{}",
        found.stdout
    );
    assert!(!found.stdout.contains("main: "), "{}", found.stdout);
}

#[test]
fn an_unreachable_server_exits_2() {
    let run = Scratch::run_bare(&[
        "--database-url",
        "postgres://postgres@127.0.0.1:1/nothing",
        "verify",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("cannot connect to server main"),
        "{}",
        run.stderr
    );
}
