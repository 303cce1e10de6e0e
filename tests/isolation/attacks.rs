//! Attacks that the defences hold, each by a route the other suites do not
//! take: hand-written SQL that reaches another placement's table through
//! MERGE, writable CTEs, upserts, temporary views, rules, triggers and
//! functions, or shadows the names the write fence uses with temporary
//! objects, is refused by the fence; the privileged ways around it (the
//! replication role, disabling its trigger, TRUNCATE, a child or partition
//! of the table) are refused by PostgreSQL; a suspended tenant writes by none
//! of those routes; COPY FROM STDIN ends the connection and writes nothing;
//! and a one-statement cache under concurrent transactions, single
//! statements and dropped calls of tenants in every placement on one
//! connection never runs a statement in another tenant's context.

use std::time::Duration;

use futures_util::future::join_all;
use tenantry::ops::PlacementKind;
use tenantry::{Error, MAIN_SERVER, Tenant};
use uuid::Uuid;

use crate::support::placements::because;
use crate::support::tenants::{POOL_AND_TWO_SCHEMAS, Placed, Tenants};
use crate::support::{Customer, NewCustomer};

/// Hand-written routes of a write into `{t}` (a schema-qualified table) of
/// a row of tenant `{me}`: the statements before the last prepare, the last
/// one writes. Each runs in a transaction of its own.
const FENCED_ROUTES: &[(&str, &[&str])] = &[
    (
        "MERGE",
        &["MERGE INTO {t} c USING (SELECT '{me}'::uuid AS tenant_id, gen_random_uuid() AS id) s
           ON c.id = s.id
           WHEN MATCHED THEN UPDATE SET name = 'stray'
           WHEN NOT MATCHED THEN INSERT (tenant_id, id, name) VALUES (s.tenant_id, s.id, 'stray')"],
    ),
    (
        "a writable CTE",
        &["WITH written AS (INSERT INTO {t} (tenant_id, id, name)
               VALUES ('{me}', gen_random_uuid(), 'stray') RETURNING id)
           SELECT count(*) FROM written"],
    ),
    (
        "an upsert",
        &["INSERT INTO {t} (tenant_id, id, name) VALUES ('{me}', gen_random_uuid(), 'stray')
           ON CONFLICT (tenant_id, id) DO UPDATE SET name = 'stray'"],
    ),
    ("a delete", &["DELETE FROM {t}"]),
    (
        "an updatable temporary view",
        &[
            "CREATE TEMP VIEW route AS SELECT * FROM {t}",
            "INSERT INTO route (tenant_id, id, name) VALUES ('{me}', gen_random_uuid(), 'stray')",
        ],
    ),
    (
        "a security-barrier temporary view with a check option",
        &[
            "CREATE TEMP VIEW route WITH (security_barrier) AS SELECT * FROM {t}
             WHERE tenant_id = '{me}' WITH CHECK OPTION",
            "INSERT INTO route (tenant_id, id, name) VALUES ('{me}', gen_random_uuid(), 'stray')",
        ],
    ),
    (
        "a rule on a temporary table",
        &[
            "CREATE TEMP TABLE route (tenant_id uuid, id uuid, name text)",
            "CREATE RULE route AS ON INSERT TO route DO INSTEAD
             INSERT INTO {t} (tenant_id, id, name) VALUES (NEW.tenant_id, NEW.id, NEW.name)",
            "INSERT INTO route VALUES ('{me}', gen_random_uuid(), 'stray')",
        ],
    ),
    (
        "an INSTEAD OF trigger on a temporary view",
        &[
            "CREATE TEMP VIEW route AS SELECT '{me}'::uuid AS tenant_id, gen_random_uuid() AS id, 'x'::text AS name",
            "CREATE FUNCTION pg_temp.route() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN INSERT INTO {t} (tenant_id, id, name) VALUES (NEW.tenant_id, NEW.id, NEW.name); RETURN NEW; END $$",
            "CREATE TRIGGER route INSTEAD OF INSERT ON route FOR EACH ROW EXECUTE FUNCTION pg_temp.route()",
            "INSERT INTO route VALUES ('{me}', gen_random_uuid(), 'stray')",
        ],
    ),
    (
        "a temporary function",
        &[
            "CREATE FUNCTION pg_temp.route() RETURNS void LANGUAGE plpgsql AS $$
             BEGIN INSERT INTO {t} (tenant_id, id, name) VALUES ('{me}', gen_random_uuid(), 'stray'); END $$",
            "SELECT pg_temp.route()",
        ],
    ),
    (
        "an anonymous block",
        &["DO $$ BEGIN INSERT INTO {t} (tenant_id, id, name)
           VALUES ('{me}', gen_random_uuid(), 'stray'); END $$"],
    ),
    (
        "temporary objects named as the fence's (its path ends with pg_temp)",
        &[
            "CREATE TEMP TABLE residents (tenant_id uuid, schema_name name, owns_schema boolean, status text)",
            "INSERT INTO pg_temp.residents VALUES ('{me}', '{schema}', true, 'active')",
            "CREATE FUNCTION pg_temp.never(name, name) RETURNS boolean LANGUAGE sql AS 'SELECT false'",
            "CREATE OPERATOR pg_temp.<> (leftarg = name, rightarg = name, function = pg_temp.never)",
            "INSERT INTO {t} (tenant_id, id, name) VALUES ('{me}', gen_random_uuid(), 'stray')",
        ],
    ),
];

/// Ways around the fence that need privileges the application role lacks.
const PRIVILEGED_ROUTES: &[(&str, &[&str])] = &[
    (
        "the replication role (triggers off)",
        &[
            "SET LOCAL session_replication_role = replica",
            "INSERT INTO {t} (tenant_id, id, name) VALUES ('{me}', gen_random_uuid(), 'stray')",
        ],
    ),
    (
        "the fence's trigger disabled",
        &["ALTER TABLE {t} DISABLE TRIGGER tenantry_fence"],
    ),
    ("TRUNCATE", &["TRUNCATE {t}"]),
    (
        "a temporary child table",
        &["CREATE TEMP TABLE route () INHERITS ({t})"],
    ),
    (
        "a temporary partition",
        &["CREATE TEMP TABLE route PARTITION OF {t} DEFAULT"],
    ),
];

fn render(sql: &str, table: &str, schema: &str, me: Uuid) -> String {
    sql.replace("{t}", table)
        .replace("{schema}", schema)
        .replace("{me}", &me.to_string())
}

/// Runs `route` as `writer` into `table` in a transaction of its own;
/// returns the last statement's outcome (the others must succeed).
async fn attempt(writer: &Tenant, route: &[&str], table: &str, schema: &str) -> Result<u64, Error> {
    let me = writer.tenant().as_uuid();
    let transaction = writer.transaction().await.unwrap();
    let (last, setup) = route.split_last().unwrap();
    for sql in setup {
        transaction
            .raw_execute(&render(sql, table, schema, me), &[])
            .await
            .unwrap_or_else(|error| panic!("setting up {sql}: {error}"));
    }
    let outcome = transaction
        .raw_execute(&render(last, table, schema, me), &[])
        .await;
    let _ = transaction.rollback().await;
    outcome
}

/// Runs `route` as `writer` on `table` in a transaction of its own, up to
/// its first failing statement; returns that failure.
async fn first_refusal(
    writer: &Tenant,
    route: &[&str],
    table: &str,
    schema: &str,
) -> Option<Error> {
    let me = writer.tenant().as_uuid();
    let transaction = writer.transaction().await.unwrap();
    let mut refused = None;
    for sql in route {
        if let Err(error) = transaction
            .raw_execute(&render(sql, table, schema, me), &[])
            .await
        {
            refused = Some(error);
            break;
        }
    }
    let _ = transaction.rollback().await;
    refused
}

/// Every customer row of every tenant's table on the main server.
async fn customer_rows(tenants: &Tenants) -> Vec<(String, Uuid, Uuid, String)> {
    let mut rows = Vec::new();
    for placed in &tenants.placed {
        let location = placed.location();
        let admin = tenants.admin(&location).await;
        let sql = format!(
            "SELECT tenant_id, id, name FROM \"{}\".customers ORDER BY 1, 2",
            location.schema
        );
        for row in admin.query(&sql, &[]).await.unwrap() {
            rows.push((location.schema.clone(), row.get(0), row.get(1), row.get(2)));
        }
    }
    rows.sort();
    rows.dedup();
    rows
}

fn table_of(placed: &Placed) -> (String, String) {
    let schema = placed.location().schema;
    (format!("\"{schema}\".customers"), schema)
}

#[tokio::test]
async fn no_hand_written_route_writes_into_another_placement() {
    let tenants = Tenants::provision(&POOL_AND_TWO_SCHEMAS).await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    for tenant in &handles {
        tenant
            .insert(NewCustomer::named("own"))
            .exec()
            .await
            .unwrap();
    }
    let before = customer_rows(&tenants).await;
    let pairs = [(0, 1), (1, 0), (1, 2)];
    for (writer, target) in pairs {
        let (writer_label, tenant) = (tenants.placed[writer].label, &handles[writer]);
        let (table, schema) = table_of(&tenants.placed[target]);
        for (name, route) in FENCED_ROUTES {
            match attempt(tenant, route, &table, &schema).await {
                Err(Error::OutsidePlacement { id, .. }) => assert_eq!(id, tenant.tenant()),
                other => panic!("{writer_label} by {name} into {table}: {other:?}"),
            }
        }
        for (name, route) in PRIVILEGED_ROUTES {
            let refused = first_refusal(tenant, route, &table, &schema).await;
            assert!(refused.is_some(), "{writer_label} by {name} on {table}");
        }
    }
    assert_eq!(
        customer_rows(&tenants).await,
        before,
        "nothing changed anywhere"
    );
    // Each route works on the writer's own table: the refusals above are the fence's.
    let (own, schema) = table_of(&tenants.placed[1]);
    for (name, route) in &FENCED_ROUTES[..FENCED_ROUTES.len() - 1] {
        attempt(&handles[1], route, &own, &schema)
            .await
            .unwrap_or_else(|error| panic!("{name} into its own {own}: {error}"));
    }
}

#[tokio::test]
async fn a_suspended_tenant_writes_by_no_hand_written_route() {
    let (blind, tenants) = Tenants::pool_and_schema_beside_a_blind_process().await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    for tenant in &handles {
        tenant
            .insert(NewCustomer::named("own"))
            .exec()
            .await
            .unwrap();
    }
    let before = customer_rows(&tenants).await;
    for (placed, tenant) in tenants.placed.iter().zip(&handles) {
        tenants
            .world
            .operator
            .suspend(tenant.tenant(), &because("suspended by the test"))
            .await
            .unwrap();
        // The blind process sends its statements to the pool: a schema
        // tenant's hand-written SQL names its own table.
        let stale = blind.tenant(tenant.tenant()).await.unwrap();
        let (table, schema) = table_of(placed);
        for (name, route) in FENCED_ROUTES {
            match attempt(&stale, route, &table, &schema).await {
                Err(Error::TenantNotActive { id, .. }) => assert_eq!(id, tenant.tenant()),
                other => panic!("{} suspended, by {name}: {other:?}", placed.label),
            }
        }
    }
    assert_eq!(customer_rows(&tenants).await, before);
}

#[tokio::test]
async fn copy_from_stdin_ends_the_connection_and_writes_nothing() {
    let tenants = Tenants::provision(&[("schema", PlacementKind::Schema, MAIN_SERVER)]).await;
    let db = tenants.connect_single().await;
    let tenant = &tenants.handles(&db).await[0];
    for sql in [
        "COPY customers (tenant_id, id, name) FROM STDIN",
        "COPY public.customers (tenant_id, id, name) FROM STDIN",
    ] {
        let copied = tenant.raw_execute(sql, &[]).await;
        assert!(copied.is_err(), "{sql}: {copied:?}");
        let transaction = tenant.transaction().await.unwrap();
        assert!(transaction.raw_execute(sql, &[]).await.is_err(), "{sql}");
        drop(transaction);
    }
    // The next statement gets a sound connection, in its own context.
    tenant
        .insert(NewCustomer::named("after"))
        .exec()
        .await
        .unwrap();
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 1);
    assert_eq!(customer_rows(&tenants).await.len(), 1);
}

/// What `tenant` sees: the owners of the rows its hand-written SQL reads.
async fn owners(tenant: &Tenant) -> Result<Vec<Uuid>, Error> {
    Ok(tenant
        .raw_query("SELECT DISTINCT tenant_id FROM customers", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// One round of a tenant's work: single statements, hand-written SQL and a
/// transaction with statements in flight together; `cut` drops the round's
/// calls after that long (never, if `None`).
async fn round(tenant: &Tenant, label: &str, n: usize, cut: Option<Duration>) {
    let me = tenant.tenant().as_uuid();
    let work = async {
        tenant
            .insert(NewCustomer::named(&format!("{label} {n}")))
            .exec()
            .await?;
        let seen = owners(tenant).await?;
        assert!(
            seen.iter().all(|owner| *owner == me),
            "{label} saw {seen:?}"
        );
        let transaction = tenant.transaction().await?;
        let statements = (0..3).map(|k| {
            let transaction = &transaction;
            async move {
                if k == 1 {
                    transaction
                        .insert(NewCustomer::named(&format!("{label} {n} in transaction")))
                        .exec()
                        .await
                        .map(|_| ())
                } else {
                    let rows = transaction
                        .raw_query(
                            &format!(
                                "SELECT DISTINCT tenant_id FROM customers WHERE name <> '{k}'"
                            ),
                            &[],
                        )
                        .await?;
                    assert!(
                        rows.iter().all(|row| row.get::<_, Uuid>(0) == me),
                        "{label}"
                    );
                    Ok(())
                }
            }
        });
        for outcome in join_all(statements).await {
            outcome?;
        }
        transaction.commit().await?;
        Ok::<(), Error>(())
    };
    match cut {
        Some(after) => {
            let _ = tokio::time::timeout(after, work).await;
        }
        None => work
            .await
            .unwrap_or_else(|error| panic!("{label} round {n}: {error}")),
    }
}

#[tokio::test]
async fn a_one_statement_cache_on_one_connection_never_lends_a_context_to_another_statement() {
    let tenants = Tenants::provision(&[
        ("pool_a", PlacementKind::Pool, MAIN_SERVER),
        ("pool_b", PlacementKind::Pool, MAIN_SERVER),
        ("schema_a", PlacementKind::Schema, MAIN_SERVER),
        ("schema_b", PlacementKind::Schema, MAIN_SERVER),
    ])
    .await;
    // Every tenant shares one connection whose cache holds one statement:
    // every statement evicts the one before it.
    let db = tenants
        .connect_with(|config| config.pool_size(1).statement_cache_size(1))
        .await;
    let handles = tenants.handles(&db).await;
    for n in 0..12 {
        // Calls cut at every stage, from before the first write to mid-transaction.
        let cut = (n % 3 != 2).then(|| Duration::from_micros(300 * (n as u64 + 1)));
        let rounds = tenants
            .placed
            .iter()
            .zip(&handles)
            .map(|(placed, tenant)| round(tenant, placed.label, n, cut));
        join_all(rounds).await;
    }
    for (placed, tenant) in tenants.placed.iter().zip(&handles) {
        assert_eq!(
            owners(tenant).await.unwrap(),
            [tenant.tenant().as_uuid()],
            "{}",
            placed.label
        );
    }
    // Every row is its tenant's, in its tenant's placement.
    for (schema, owner, _, name) in customer_rows(&tenants).await {
        let placed = tenants
            .placed
            .iter()
            .find(|placed| placed.uuid() == owner)
            .expect("a known tenant");
        assert_eq!(placed.location().schema, schema, "{name}");
        assert!(
            name.starts_with(placed.label),
            "{name} is {}'s",
            placed.label
        );
    }
}
