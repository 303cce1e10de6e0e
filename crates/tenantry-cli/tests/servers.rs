//! `tenantry servers`: a server added to the registry at run time (its
//! address, no secret), migrated at once, listed, and kept while a tenant
//! lives on it.

mod support;

use support::Scratch;

#[test]
fn servers_are_added_listed_used_and_kept_while_in_use() {
    let scratch = Scratch::new().with_unconfigured_second_server();
    scratch.migration(
        "tenant",
        "0001_create_customers.sql",
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL);
         SELECT tenantry.isolate_table('customers');",
    );
    scratch.migrate(&[]).expect_code(0);
    let none = scratch.run(&["servers", "list", "--json"]);
    assert_eq!(none.expect_code(0).json(), serde_json::json!([]));

    let directory = scratch.migrations().to_str().expect("UTF-8 path");
    let address = scratch.second_url();
    let with_password = address.replacen("postgres@", "postgres:secret@", 1);
    let refused = scratch.run(&[
        "servers",
        "add",
        "eu-2",
        &with_password,
        "--actor",
        "ops",
        "--migrations",
        directory,
    ]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("password"), "{}", refused.stderr);

    let added = scratch.run(&[
        "servers",
        "add",
        "eu-2",
        &address,
        "--actor",
        "ops",
        "--migrations",
        directory,
    ]);
    added.expect_code(0);
    assert!(
        added.stdout.contains("server eu-2 recorded"),
        "{}",
        added.stdout
    );
    let migrated = scratch.query_second("SELECT to_regclass('public.customers') IS NOT NULL");
    assert!(
        migrated[0].get::<_, bool>(0),
        "the tenant set is applied to it"
    );

    let listed = scratch.run(&["servers", "list", "--json"]);
    let document = listed.expect_code(0).json();
    assert_eq!(document[0]["name"], "eu-2");
    assert_eq!(document[0]["url"], address);
    assert_eq!(document[0]["added_by"], "ops");
    let table = scratch.run(&["servers", "list"]);
    assert!(
        table.expect_code(0).stdout.contains("eu-2"),
        "{}",
        table.stdout
    );

    let provisioned = scratch.run(&[
        "tenants",
        "provision",
        "acme",
        "--placement",
        "schema",
        "--on",
        "eu-2",
        "--migrations",
        directory,
        "--json",
    ]);
    assert_eq!(provisioned.expect_code(0).json()["server"], "eu-2");
    let schema = scratch.query_second("SELECT to_regclass('tenant_acme.customers') IS NOT NULL");
    assert!(
        schema[0].get::<_, bool>(0),
        "the tenant lives on the added server"
    );

    let kept = scratch.run(&["servers", "remove", "eu-2"]);
    kept.expect_code(1);
    assert!(
        kept.stderr.contains("still holds 1 tenant"),
        "{}",
        kept.stderr
    );
}
