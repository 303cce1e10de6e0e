//! `tenantry verify`: a migrated deployment is clean (exit 0); a scoped table
//! without row-level security, on either server, in a tenant's database or in
//! the template, is a finding naming its server, database, schema and table
//! (exit 1).

mod support;

use support::{SECOND, Scratch};
use tenantry_postgres::{MAIN_SERVER, Placement};

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
    assert_eq!(clean.stdout, "0 findings in 1 database on 1 server\n");
    let document = scratch.run(&["verify", "--json"]).expect_code(0).json();
    assert_eq!(document["clean"], true);
    assert_eq!(document["findings"], 0);
    assert_eq!(document["databases"][0]["server"], MAIN_SERVER);
    assert_eq!(document["databases"][0]["database"], scratch.database);
    assert_eq!(document["databases"][0]["kind"], "server");

    // In a tenant's schema, which the default (every migrated schema) covers.
    scratch.query(&unprotected("tenant_acme.notes"));
    let found = scratch.run(&["verify"]);
    found.expect_code(1);
    let line = found
        .stdout
        .lines()
        .find(|line| line.contains("tenant_acme.notes"))
        .unwrap_or_else(|| panic!("the defect is not reported:\n{}", found.stdout));
    assert!(
        line.starts_with(&format!("main/{}: ", scratch.database)),
        "{line}"
    );
    assert!(line.contains("row-level security is not enabled"), "{line}");
    assert!(
        found.stdout.ends_with("in 1 database on 1 server\n"),
        "{}",
        found.stdout
    );

    let document = scratch.run(&["verify", "--json"]).expect_code(1).json();
    assert_eq!(document["clean"], false);
    let findings = document["databases"][0]["findings"]
        .as_array()
        .expect("findings");
    assert!(
        findings
            .iter()
            .any(|finding| finding["schema"] == "tenant_acme"
                && finding["object"] == "notes"
                && finding["message"]
                    .as_str()
                    .unwrap()
                    .contains("tenant_acme.notes")),
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
    assert_eq!(clean.stdout, "0 findings in 2 databases on 2 servers\n");

    scratch.query_second(&unprotected("public.notes"));
    let found = scratch.run(&["verify"]);
    found.expect_code(1);
    assert!(
        found
            .stdout
            .lines()
            .any(|line| line.starts_with(&format!("{SECOND}/{}: public.notes ", scratch.database))),
        "{}",
        found.stdout
    );
    assert!(!found.stdout.contains("main/"), "{}", found.stdout);
}

#[test]
fn tenant_databases_and_the_template_are_verified() {
    let scratch = migrated(Scratch::new());
    let tenant = scratch.provision_database("verified");
    let Placement::Database(database) = &tenant.placement else {
        panic!("not a database tenant")
    };
    let clean = scratch.run(&["verify"]);
    clean.expect_code(0);
    assert_eq!(clean.stdout, "0 findings in 3 databases on 1 server\n");

    // Only in the tenant's database, then only in the template.
    scratch.query_in(database.as_str(), &unprotected("public.in_tenant"));
    scratch.query_in(&scratch.template, &unprotected("public.in_template"));
    let found = scratch.run(&["verify"]);
    found.expect_code(1);
    for (database, table) in [
        (database.as_str(), "public.in_tenant"),
        (scratch.template.as_str(), "public.in_template"),
    ] {
        assert!(
            found.stdout.lines().any(|line| line.starts_with(&format!(
                "{MAIN_SERVER}/{database}: {table} is tenant-scoped"
            ))),
            "{}",
            found.stdout
        );
    }
    assert!(
        found
            .stdout
            .ends_with("10 findings in 3 databases on 1 server\n"),
        "{}",
        found.stdout
    );
    let document = scratch.run(&["verify", "--json"]).expect_code(1).json();
    let kinds: Vec<(&str, usize)> = document["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .map(|database| {
            (
                database["kind"].as_str().unwrap(),
                database["findings"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(kinds, [("server", 0), ("template", 5), ("tenant", 5)]);
    assert_eq!(document["databases"][2]["tenant"], tenant.id.to_string());
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
