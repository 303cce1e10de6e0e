//! `tenantry tenants relocate | finish-relocation | rollback-relocation`,
//! and `show` saying where a move stands: as text and JSON, with the bar of
//! rows copied only on a terminal.

mod support;

use support::Scratch;

fn with_customers() -> Scratch {
    let scratch = Scratch::new();
    scratch.migration(
        "tenant",
        "0001_create_customers.sql",
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL);
         SELECT tenantry.tenant_key('customers', 'id');
         SELECT tenantry.isolate_table('customers');",
    );
    scratch.migrate(&[]).expect_code(0);
    scratch
}

/// Provisions pool tenant `slug` with `rows` customers; its id.
fn pool_tenant(scratch: &Scratch, slug: &str, rows: u32) -> String {
    let directory = scratch.migrations().to_str().unwrap().to_owned();
    let provisioned = scratch
        .run(&[
            "tenants",
            "provision",
            slug,
            "--migrations",
            &directory,
            "--json",
        ])
        .expect_code(0)
        .json();
    let id = provisioned["id"].as_str().unwrap().to_owned();
    scratch.query(&format!(
        "INSERT INTO public.customers SELECT '{id}', gen_random_uuid() FROM generate_series(1, {rows})"
    ));
    id
}

#[test]
fn a_tenant_is_relocated_shown_moving_back_and_finished_from_the_command_line() {
    let scratch = with_customers();
    let directory = scratch.migrations().to_str().unwrap().to_owned();
    let id = pool_tenant(&scratch, "acme", 7);
    let relocate = |to: &str| {
        scratch.run(&[
            "tenants",
            "relocate",
            "acme",
            "--to",
            to,
            "--migrations",
            &directory,
            "--json",
        ])
    };

    let moved = relocate("schema").expect_code(0).json();
    assert_eq!(moved["tenant"], id.as_str());
    assert_eq!(moved["step"], "flipped");
    assert_eq!(moved["from"]["placement"], "pool");
    assert_eq!(moved["to"]["placement"], "schema");
    assert_eq!(moved["to"]["name"], "tenant_acme");
    assert_eq!(moved["rows_copied"], 7);
    assert_eq!(
        moved["copy"], "fenced",
        "the main server does not decode logically"
    );
    assert!(moved["blocked_ms"].as_f64().unwrap() > 0.0, "{moved:#}");
    let count = |table: &str| -> i64 {
        scratch.query(&format!(
            "SELECT count(*) FROM {table} WHERE tenant_id = '{id}'"
        ))[0]
            .get(0)
    };
    assert_eq!(count("tenant_acme.customers"), 7);
    assert_eq!(count("public.customers"), 7, "the source is kept");

    let shown = scratch
        .run(&["tenants", "show", "acme", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(shown["placement"], "schema");
    assert_eq!(shown["relocation"]["step"], "flipped");
    let text = scratch
        .run(&["tenants", "show", "acme"])
        .expect_code(0)
        .stdout
        .clone();
    assert!(
        text.contains(
            "relocation   flipped: pool on main -> schema tenant_acme on main, 7 rows copied"
        ),
        "{text}"
    );

    // Another move while this one keeps its source is refused; rolling it
    // back moves the tenant to the pool again.
    let refused = relocate("database");
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("finish it or roll it back"),
        "{}",
        refused.stderr
    );
    let back = scratch
        .run(&["tenants", "rollback-relocation", "acme", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(back["step"], "rolled_back");
    assert!(
        !scratch.check("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'tenant_acme')")
    );

    // Moved again, then finished: the pool's rows go.
    relocate("schema").expect_code(0);
    let finished = scratch
        .run(&["tenants", "finish-relocation", "acme", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(finished["step"], "finished");
    assert_eq!(count("public.customers"), 0);
    assert_eq!(count("tenant_acme.customers"), 7);
    let nothing = scratch.run(&["tenants", "finish-relocation", "acme"]);
    nothing.expect_code(1);
    assert!(
        nothing.stderr.contains("no relocation open"),
        "{}",
        nothing.stderr
    );
}

#[test]
fn the_bar_of_rows_copied_is_drawn_on_a_terminal_only() {
    let scratch = with_customers();
    let directory = scratch.migrations().to_str().unwrap().to_owned();
    pool_tenant(&scratch, "drawn", 2_000);
    pool_tenant(&scratch, "piped", 10);
    let drawn = scratch.run_on_terminal(&[
        "tenants",
        "relocate",
        "drawn",
        "--to",
        "schema",
        "--drop-source",
        "--migrations",
        &directory,
    ]);
    let screen = &drawn.expect_code(0).stdout;
    assert!(
        screen.contains(" rows "),
        "no bar on a terminal: {screen:?}"
    );
    assert!(
        screen.contains("finished: pool on main -> schema tenant_drawn"),
        "{screen:?}"
    );

    let piped = scratch.run(&[
        "tenants",
        "relocate",
        "piped",
        "--to",
        "schema",
        "--migrations",
        &directory,
    ]);
    assert_eq!(piped.expect_code(0).stderr, "", "a bar into a pipe");
    assert!(piped.stdout.contains("10 rows copied"), "{}", piped.stdout);
    assert!(
        piped.stdout.contains("finish-relocation"),
        "{}",
        piped.stdout
    );
}
