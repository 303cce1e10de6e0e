//! `tenantry tenants list`: the registry, as a table and as JSON, with each
//! tenant's recorded schema version, last migration failure and last
//! status change.

mod support;

use support::Scratch;
use tenantry_ops::{NewTenant, PlacementKind, Reason};
use tenantry_postgres::MAIN_SERVER;

#[test]
fn tenants_list_shows_provisioned_tenants() {
    let scratch = Scratch::new();
    scratch.migration(
        "tenant",
        "0001_create_customers.sql",
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL);
         SELECT tenantry.isolate_table('customers');",
    );
    let before = scratch.run(&["tenants", "list"]);
    before.expect_code(2);
    assert!(
        before.stderr.contains("tenantry migrate"),
        "{}",
        before.stderr
    );

    scratch.migrate(&[]).expect_code(0);
    let empty = scratch.run(&["tenants", "list", "--json"]);
    assert_eq!(empty.expect_code(0).json(), serde_json::json!([]));

    let acme = scratch.provision(NewTenant::new("acme", PlacementKind::Schema).with_plan("gold"));
    let pooled = scratch.provision(NewTenant::new("beta", PlacementKind::Pool));

    let listed = scratch.run(&["tenants", "list", "--json"]);
    let document = listed.expect_code(0).json();
    let tenants = document.as_array().expect("an array");
    assert_eq!(tenants.len(), 2, "{document:#}");
    let first = &tenants[0];
    assert_eq!(first["id"], acme.id.to_string());
    assert_eq!(first["slug"], "acme");
    assert_eq!(first["placement"], "schema");
    assert_eq!(first["schema"], "tenant_acme");
    assert_eq!(first["database"], serde_json::Value::Null);
    assert_eq!(first["server"], MAIN_SERVER);
    assert_eq!(first["plan"], "gold");
    assert_eq!(first["status"], "active");
    let created = first["created_at"].as_str().expect("created_at");
    assert!(
        created.starts_with(&acme.created_at.year().to_string()) && created.contains('T'),
        "{created}"
    );
    assert_eq!(tenants[1]["id"], pooled.id.to_string());
    assert_eq!(tenants[1]["placement"], "pool");
    assert_eq!(tenants[1]["schema"], serde_json::Value::Null);

    let table = scratch.run(&["tenants", "list"]);
    table.expect_code(0);
    let row = table
        .stdout
        .lines()
        .find(|line| line.contains(&acme.id.to_string()))
        .unwrap_or_else(|| panic!("acme is not listed:\n{}", table.stdout));
    for cell in ["acme", "schema tenant_acme", "main", "gold", "active"] {
        assert!(row.contains(cell), "{cell} missing from {row}");
    }
    assert!(table.stdout.contains("2 tenants"), "{}", table.stdout);
}

#[test]
fn tenants_list_shows_each_tenants_schema_version_and_last_migration_failure() {
    let scratch = Scratch::new();
    scratch.migration(
        "tenant",
        "0001_create_customers.sql",
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL);
         SELECT tenantry.isolate_table('customers');",
    );
    scratch.migrate(&[]).expect_code(0);
    let acme = scratch.provision(NewTenant::new("acme", PlacementKind::Schema));
    let pooled = scratch.provision(NewTenant::new("beta", PlacementKind::Pool));
    scratch.migration(
        "tenant",
        "0002_refuse_poison.sql",
        "ALTER TABLE customers ADD CHECK (name <> 'poison');",
    );
    scratch.query(&format!(
        "INSERT INTO tenant_acme.customers VALUES ('{}', gen_random_uuid(), 'poison')",
        acme.id
    ));
    scratch.migrate(&[]).expect_code(1);

    let listed = scratch
        .run(&["tenants", "list", "--json"])
        .expect_code(0)
        .json();
    let tenant = |slug: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|tenant| tenant["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug} is not listed: {listed:#}"))
            .clone()
    };
    let failed = tenant("acme");
    assert_eq!(failed["status"], "active");
    assert_eq!(failed["schema_version"], 1, "{failed:#}");
    assert_eq!(failed["migration_failure"]["version"], 2, "{failed:#}");
    let error = failed["migration_failure"]["error"].as_str().unwrap();
    assert!(error.contains("customers_name_check"), "{error}");
    assert!(
        failed["migration_failure"]["at"]
            .as_str()
            .unwrap()
            .contains('T')
    );
    // A pool tenant's tables are its server's pool tables, migrated.
    let pool = tenant("beta");
    assert_eq!(pool["schema_version"], 2, "{pool:#}");
    assert_eq!(pool["migration_failure"], serde_json::Value::Null);

    let table = scratch.run(&["tenants", "list"]);
    let row = table
        .expect_code(0)
        .stdout
        .lines()
        .find(|line| line.contains(&acme.id.to_string()))
        .unwrap_or_else(|| panic!("acme is not listed:\n{}", table.stdout))
        .to_owned();
    let cells: Vec<&str> = row.split_whitespace().collect();
    let failure = cells.iter().position(|cell| *cell == "failed").unwrap();
    assert_eq!(
        cells[failure - 1..failure + 3],
        ["1", "failed", "at", "2"],
        "{row}"
    );
    assert!(row.contains("customers_name_check"), "{row}");
    let row = table
        .stdout
        .lines()
        .find(|line| line.contains(&pooled.id.to_string()))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[cells.len() - 3..], ["2", "-", "-"], "{row}");

    // The next run that succeeds clears the failure.
    scratch.query("UPDATE tenant_acme.customers SET name = 'cured'");
    scratch.migrate(&[]).expect_code(0);
    let listed = scratch
        .run(&["tenants", "list", "--json"])
        .expect_code(0)
        .json();
    let healed = &listed[0];
    assert_eq!(healed["slug"], "acme");
    assert_eq!(healed["schema_version"], 2, "{healed:#}");
    assert_eq!(healed["migration_failure"], serde_json::Value::Null);
}

#[test]
fn tenants_list_shows_who_suspended_a_tenant_when_and_why() {
    let scratch = Scratch::new();
    scratch.migration(
        "tenant",
        "0001_create_customers.sql",
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL);
         SELECT tenantry.isolate_table('customers');",
    );
    scratch.migrate(&[]).expect_code(0);
    let acme = scratch.provision(NewTenant::new("acme", PlacementKind::Pool));
    let calm = scratch.provision(NewTenant::new("calm", PlacementKind::Schema));
    let why = Reason::new("billing-bot", "invoice 117 unpaid").with_reference("BILL-117");
    scratch
        .runtime
        .block_on(scratch.operator().suspend(acme.id, &why))
        .expect("suspend");

    let listed = scratch
        .run(&["tenants", "list", "--json"])
        .expect_code(0)
        .json();
    let suspended = &listed[0];
    assert_eq!(suspended["slug"], "acme");
    assert_eq!(suspended["status"], "suspended");
    let change = &suspended["last_change"];
    assert_eq!(change["status"], "suspended", "{change:#}");
    assert_eq!(change["actor"], "billing-bot");
    assert_eq!(change["reason"], "invoice 117 unpaid");
    assert_eq!(change["reference"], "BILL-117");
    assert!(change["at"].as_str().unwrap().contains('T'), "{change:#}");
    assert_eq!(listed[1]["id"], calm.id.to_string());
    assert_eq!(listed[1]["last_change"], serde_json::Value::Null);

    let table = scratch.run(&["tenants", "list"]);
    let row = table
        .expect_code(0)
        .stdout
        .lines()
        .find(|line| line.contains(&acme.id.to_string()))
        .unwrap_or_else(|| panic!("acme is not listed:\n{}", table.stdout))
        .to_owned();
    assert!(
        row.contains("suspended by billing-bot at ")
            && row.ends_with(": invoice 117 unpaid (BILL-117)"),
        "{row}"
    );
}
