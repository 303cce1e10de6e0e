//! `tenantry tenants list`: the registry, as a table and as JSON.

mod support;

use support::Scratch;
use tenantry_postgres::{MAIN_SERVER, NewTenant, PlacementKind};

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
