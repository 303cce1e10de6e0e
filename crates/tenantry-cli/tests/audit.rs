//! `tenantry audit list` and `tenantry audit verify`: who looked at a
//! tenant's data, as the audit procedure recorded it, and the hash chain
//! that finds a row changed or removed behind the log's back.

mod support;

use support::Scratch;
use tenantry_ops::{NewTenant, PlacementKind};

/// Records one support access to `tenant` through the audit procedure.
fn record(scratch: &Scratch, tenant: &str, actor: &str, ticket: Option<&str>) {
    let ticket = ticket.map_or_else(|| "NULL".to_owned(), |ticket| format!("'{ticket}'"));
    scratch.query(&format!(
        "CALL tenantry_control.record_support_access('{tenant}', '{actor}', 'checking totals', {ticket}, now() + interval '1 hour')"
    ));
}

#[test]
fn audit_list_shows_who_looked_and_verify_finds_a_changed_row() {
    let scratch = Scratch::new();
    scratch.migrate(&[]).expect_code(0);
    let acme = scratch.provision(NewTenant::new("acme", PlacementKind::Pool));
    let beta = scratch.provision(NewTenant::new("beta", PlacementKind::Schema));
    let empty = scratch.run(&["audit", "list", "--tenant", "acme", "--json"]);
    assert_eq!(empty.expect_code(0).json(), serde_json::json!([]));

    record(&scratch, &acme.id.to_string(), "ada", Some("SUP-1"));
    record(&scratch, &beta.id.to_string(), "bob", None);
    record(&scratch, &acme.id.to_string(), "cy", None);

    let listed = scratch.run(&["audit", "list", "--tenant", &acme.id.to_string(), "--json"]);
    let document = listed.expect_code(0).json();
    let entries = document.as_array().expect("an array");
    assert_eq!(entries.len(), 2, "{document:#}");
    assert_eq!(entries[0]["tenant"], acme.id.to_string());
    assert_eq!(entries[0]["actor"], "ada");
    assert_eq!(entries[0]["reason"], "checking totals");
    assert_eq!(entries[0]["ticket"], "SUP-1");
    assert_eq!(entries[1]["actor"], "cy");
    assert_eq!(entries[1]["ticket"], serde_json::Value::Null);
    let accessed = entries[0]["accessed_at"].as_str().expect("accessed_at");
    assert!(accessed.contains('T'), "{accessed}");

    // An id the registry does not hold (a pool-only deployment's tenant).
    let unregistered = "5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01";
    record(&scratch, unregistered, "dee", None);
    let listed = scratch.run(&["audit", "list", "--tenant", unregistered, "--json"]);
    let document = listed.expect_code(0).json();
    assert_eq!(document[0]["actor"], "dee", "{document:#}");
    let unknown = scratch.run(&["audit", "list", "--tenant", "nobody"]);
    unknown.expect_code(2);

    let table = scratch.run(&["audit", "list", "--tenant", "acme"]);
    table.expect_code(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", table.stdout);
    assert!(lines[0].starts_with("ID"), "{}", table.stdout);
    assert!(
        lines[2].contains("ada") && lines[2].contains("SUP-1"),
        "{}",
        table.stdout
    );
    assert!(
        lines[3].contains("cy") && lines[3].contains("checking totals"),
        "{}",
        table.stdout
    );

    let verified = scratch.run(&["audit", "verify"]);
    verified.expect_code(0);
    assert!(
        verified.stdout.contains("intact: 4 rows"),
        "{}",
        verified.stdout
    );

    let second: i64 = scratch
        .query("SELECT id FROM tenantry_control.support_access ORDER BY id OFFSET 1 LIMIT 1")[0]
        .get(0);
    scratch.query("ALTER TABLE tenantry_control.support_access DISABLE TRIGGER append_only");
    scratch.query(&format!(
        "UPDATE tenantry_control.support_access SET actor = 'nobody' WHERE id = {second}"
    ));
    let broken = scratch.run(&["audit", "verify", "--json"]);
    let document = broken.expect_code(1).json();
    assert_eq!(document["intact"], false);
    assert_eq!(document["rows_checked"], 1);
    assert_eq!(document["broken_row"], second);
    let text = scratch.run(&["audit", "verify"]);
    text.expect_code(1);
    assert!(
        text.stdout
            .contains(&format!("audit row {second} was changed")),
        "{}",
        text.stdout
    );

    scratch.query(&format!(
        "DELETE FROM tenantry_control.support_access WHERE id = {second}"
    ));
    let removed = scratch.run(&["audit", "verify"]);
    removed.expect_code(1);
    assert!(
        removed.stdout.contains("does not follow the row before it"),
        "{}",
        removed.stdout
    );
}
