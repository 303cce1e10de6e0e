//! What tenantry reports, against real servers: a span per statement,
//! transaction, registry lookup and pool wait with OpenTelemetry's database
//! attributes and the tenant on every one (a global statement's span has
//! none); a row stream's span open until its last row or its drop; metrics
//! whose tenant label stays bounded, recorded into the recorder current at
//! each statement; no parameter value anywhere; and each tenant's usage
//! over a sliding window.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use metrics_util::debugging::DebugValue;
use support::capture::{self, Span};
use support::placements::{SECOND, TENANT, World, because};
use support::{Customer, NewCustomer, Plan};
use tenantry::ops::{NewTenant, PlacementKind};
use tenantry::telemetry::{TelemetryConfig, metric};
use tenantry::{Config, Error, MAIN_SERVER, TenantRecord, Tenantry};

/// Provisions tenant `name` with `placement` on `server`, in tier `plan`.
async fn provision(
    world: &World,
    name: &str,
    placement: PlacementKind,
    server: &str,
    plan: &str,
) -> TenantRecord {
    let tenant = NewTenant::new(&world.slug(name), placement)
        .on_server(server)
        .with_plan(plan);
    world.operator.provision(&tenant, &TENANT).await.unwrap()
}

async fn connect(world: &World, telemetry: TelemetryConfig) -> Tenantry {
    Tenantry::connect(world.app_config().telemetry(telemetry))
        .await
        .unwrap()
}

/// The spans named `name`.
fn named<'a>(spans: &'a [Span], name: &str) -> Vec<&'a Span> {
    spans.iter().filter(|span| span.name == name).collect()
}

/// A value no telemetry may ever show: it is only ever a bound parameter.
fn secret() -> String {
    format!("secret-{}", uuid::Uuid::new_v4())
}

#[tokio::test]
async fn every_span_and_metric_names_the_tenant_and_no_parameter_value() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let tenants = [
        provision(&world, "pooled", PlacementKind::Pool, MAIN_SERVER, "free").await,
        provision(&world, "schemed", PlacementKind::Schema, MAIN_SERVER, "pro").await,
        provision(
            &world,
            "own_db",
            PlacementKind::Database,
            SECOND,
            "enterprise",
        )
        .await,
    ];
    let db = connect(&world, TelemetryConfig::default().query_text(true)).await;
    let secret = secret();
    capture::clear();

    for record in &tenants {
        let tenant = db.tenant(record.id).await.unwrap();
        tenant
            .insert(NewCustomer::named(&secret))
            .exec()
            .await
            .unwrap();
        let found: Vec<Customer> = tenant
            .select::<Customer>()
            .filter(Customer::NAME.eq(secret.clone()))
            .all()
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        let raw = tenant
            .raw_query("SELECT id FROM customers WHERE name = $1", &[&secret])
            .await
            .unwrap();
        assert_eq!(raw.len(), 1);
        let transaction = tenant.transaction().await.unwrap();
        transaction
            .insert(NewCustomer::named(&secret))
            .exec()
            .await
            .unwrap();
        transaction.commit().await.unwrap();
    }
    drop(db);

    let spans = capture::spans();
    let ids: HashSet<String> = tenants.iter().map(|t| t.id.to_string()).collect();
    for span in spans
        .iter()
        .filter(|span| span.name.starts_with("tenantry."))
    {
        let tenant = span.get("tenant.id").unwrap_or_else(|| panic!("{span:?}"));
        assert!(ids.contains(tenant), "{span:?}");
        assert_eq!(span.get("db.system.name"), Some("postgresql"), "{span:?}");
    }
    for field in spans.iter().flat_map(|span| span.fields.values()) {
        assert!(
            !field.contains(&secret),
            "a parameter value in a span: {field}"
        );
    }
    for field in capture::events().iter().flat_map(|event| event.values()) {
        assert!(
            !field.contains(&secret),
            "a parameter value in an event: {field}"
        );
    }

    let statements = named(&spans, "tenantry.statement");
    let transactions = named(&spans, "tenantry.transaction");
    assert_eq!(statements.len(), 4 * tenants.len(), "{statements:#?}");
    assert_eq!(transactions.len(), tenants.len());
    assert_eq!(
        named(&spans, "tenantry.registry_lookup").len(),
        tenants.len()
    );
    // Pool waits: only the leases that were not handed an idle connection
    // at once have a span (below, the wait-time metric counts them all).
    assert!(named(&spans, "tenantry.pool_wait").len() <= 4 * tenants.len());

    let main_db = world.main.name.as_str();
    for record in &tenants {
        let id = record.id.to_string();
        let own: Vec<&&Span> = statements
            .iter()
            .filter(|span| span.get("tenant.id") == Some(id.as_str()))
            .collect();
        assert_eq!(own.len(), 4);
        let (namespace, port) = match record.placement {
            tenantry::Placement::Pool => (main_db.to_owned(), world.main.port),
            tenantry::Placement::Schema(ref schema) => {
                (format!("{main_db}|{schema}"), world.main.port)
            }
            tenantry::Placement::Database(ref database) => {
                (database.to_string(), world.second.port)
            }
        };
        for span in &own {
            assert_eq!(span.get("tenant.tier"), Some(record.plan.as_str()));
            assert_eq!(
                span.get("tenantry.placement"),
                Some(record.placement.kind())
            );
            assert_eq!(span.get("db.namespace"), Some(namespace.as_str()));
            assert_eq!(span.get("server.port"), Some(port.to_string().as_str()));
            assert_eq!(span.get("server.address"), Some("127.0.0.1"));
            assert!(
                span.get("db.query.text")
                    .is_some_and(|sql| sql.contains("$1"))
            );
            assert_eq!(span.get("db.response.returned_rows"), Some("1"));
            assert_eq!(span.get("error.type"), None);
        }
        let built: Vec<_> = own
            .iter()
            .filter(|span| span.get("db.collection.name") == Some("customers"))
            .map(|span| span.get("db.query.summary").unwrap())
            .collect();
        assert_eq!(
            built,
            ["INSERT customers", "SELECT customers", "INSERT customers"]
        );
        let transaction = transactions
            .iter()
            .find(|span| span.get("tenant.id") == Some(id.as_str()))
            .unwrap();
        let inside: Vec<_> = own
            .iter()
            .filter(|span| span.parent == Some(transaction.id))
            .collect();
        assert_eq!(inside.len(), 1, "the transaction's insert is its child");
    }

    let metrics = capture::metrics();
    let names: HashSet<String> = tenants.iter().map(|t| t.slug.clone()).collect();
    let durations: Vec<_> = metrics
        .iter()
        .filter(|m| m.name == metric::OPERATION_DURATION)
        .collect();
    let recorded: usize = durations
        .iter()
        .map(|m| match &m.value {
            DebugValue::Histogram(values) => values.len(),
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(recorded, 4 * tenants.len());
    for m in metrics
        .iter()
        .filter(|m| m.name != metric::CONNECTION_COUNT)
    {
        let tenant = m.labels.get(metric::TENANT).map(String::as_str);
        assert!(tenant.is_some_and(|tenant| names.contains(tenant)), "{m:?}");
        assert!(m.labels.contains_key(metric::TIER), "{m:?}");
        assert!(m.labels.contains_key(metric::PLACEMENT), "{m:?}");
    }
    for m in &metrics {
        assert!(m.labels.values().all(|value| !value.contains(&secret)));
    }
    let waits: usize = metrics
        .iter()
        .filter(|m| m.name == metric::CONNECTION_WAIT)
        .map(|m| match &m.value {
            DebugValue::Histogram(values) => values.len(),
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(waits, 4 * tenants.len(), "one per lease");
}

#[tokio::test]
async fn a_pool_wait_has_a_span_only_when_the_lease_waits() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let record = provision(&world, "waiting", PlacementKind::Pool, MAIN_SERVER, "pro").await;
    let db = Tenantry::connect(
        world
            .app_config()
            .pool_size(1)
            .telemetry(TelemetryConfig::default()),
    )
    .await
    .unwrap();
    let tenant = db.tenant(record.id).await.unwrap();
    // The pool's one connection, opened and idle.
    tenant.select::<Customer>().all().await.unwrap();
    capture::clear();

    tenant.select::<Customer>().all().await.unwrap();
    let spans = capture::spans();
    assert_eq!(named(&spans, "tenantry.statement").len(), 1);
    assert!(
        named(&spans, "tenantry.pool_wait").is_empty(),
        "an idle connection handed out at once is no wait: {spans:#?}"
    );
    let waits = || {
        capture::metrics()
            .into_iter()
            .filter(|m| m.name == metric::CONNECTION_WAIT)
            .map(|m| match m.value {
                DebugValue::Histogram(values) => values.len(),
                other => panic!("{other:?}"),
            })
            .sum::<usize>()
    };
    assert_eq!(waits(), 1, "the wait-time metric counts every lease");

    // The transaction holds the one connection: the select waits for it.
    let transaction = tenant.transaction().await.unwrap();
    capture::clear();
    let waiting = tenant.select::<Customer>().all();
    let holding = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        transaction.commit().await.unwrap();
    };
    let (selected, ()) = tokio::join!(waiting, holding);
    selected.unwrap();
    let spans = capture::spans();
    let waited = named(&spans, "tenantry.pool_wait");
    assert_eq!(waited.len(), 1, "{spans:#?}");
    let statement = named(&spans, "tenantry.statement")
        .into_iter()
        .find(|span| span.get("db.query.summary") == Some("SELECT customers"))
        .unwrap();
    assert_eq!(waited[0].parent, Some(statement.id));
    let id = record.id.to_string();
    assert_eq!(waited[0].get("tenant.id"), Some(id.as_str()));
    assert_eq!(waited[0].get("tenant.tier"), Some("pro"));
    assert_eq!(waited[0].get("tenantry.placement"), Some("pool"));
    assert_eq!(waited[0].get("db.system.name"), Some("postgresql"));
    assert!(waited[0].get("db.client.connection.pool.name").is_some());
    assert!(waits() >= 1);
}

#[tokio::test]
async fn metrics_go_to_the_recorder_current_at_each_statement() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let record = provision(
        &world,
        "recorded",
        PlacementKind::Schema,
        MAIN_SERVER,
        "pro",
    )
    .await;
    let db = connect(&world, TelemetryConfig::default()).await;
    let tenant = db.tenant(record.id).await.unwrap();
    let durations = |metrics: Vec<capture::Metric>| -> usize {
        metrics
            .into_iter()
            .filter(|m| m.name == metric::OPERATION_DURATION)
            .map(|m| match m.value {
                DebugValue::Histogram(values) => values.len(),
                other => panic!("{other:?}"),
            })
            .sum()
    };
    capture::clear();
    // The test's global recorder registers the tenant's handles...
    tenant.select::<Customer>().all().await.unwrap();
    assert_eq!(durations(capture::metrics()), 1);

    // ...a recorder of this thread's own takes over while it is set...
    let local = metrics_util::debugging::DebuggingRecorder::new();
    let snapshotter = local.snapshotter();
    let local_metrics = || {
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, _, _, value)| capture::Metric {
                name: key.key().name().to_owned(),
                labels: key
                    .key()
                    .labels()
                    .map(|label| (label.key().to_owned(), label.value().to_owned()))
                    .collect(),
                value,
            })
            .collect::<Vec<_>>()
    };
    {
        let _local = metrics::set_default_local_recorder(&local);
        tenant.select::<Customer>().all().await.unwrap();
        tenant.select::<Customer>().count().await.unwrap();
    }
    let seen = local_metrics();
    assert_eq!(durations(capture::metrics()), 0, "none went to the old one");
    let tenant_label = seen
        .iter()
        .find(|m| m.name == metric::OPERATION_DURATION)
        .map(|m| m.labels[metric::TENANT].clone());
    assert_eq!(tenant_label.as_deref(), Some(record.slug.as_str()));
    assert!(seen.iter().any(|m| m.name == metric::CONNECTION_WAIT));
    assert_eq!(durations(seen), 2);

    // ...and once it is gone, the global one has them again.
    tenant.select::<Customer>().all().await.unwrap();
    assert_eq!(durations(capture::metrics()), 1);
    assert_eq!(durations(local_metrics()), 0);
}

#[tokio::test]
async fn query_text_is_left_out_unless_enabled() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let record = provision(&world, "quiet", PlacementKind::Pool, MAIN_SERVER, "free").await;
    let db = connect(&world, TelemetryConfig::default()).await;
    let tenant = db.tenant(record.id).await.unwrap();
    capture::clear();
    tenant.select::<Customer>().all().await.unwrap();
    let spans = capture::spans();
    let statements = named(&spans, "tenantry.statement");
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0].get("db.query.text"), None);
    assert_eq!(
        statements[0].get("db.query.summary"),
        Some("SELECT customers")
    );
}

#[tokio::test]
async fn a_global_statement_has_a_span_without_a_tenant() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let db = connect(&world, TelemetryConfig::default().query_text(true)).await;
    capture::clear();
    let plans = db.global().select::<Plan>().all().await.unwrap();
    let spans = capture::spans();
    let statements = named(&spans, "tenantry.statement");
    assert_eq!(statements.len(), 1, "{spans:#?}");
    let span = statements[0];
    assert_eq!(span.get("tenantry.placement"), Some("global"));
    assert_eq!(span.get("tenant.id"), None);
    assert_eq!(span.get("db.system.name"), Some("postgresql"));
    assert_eq!(span.get("db.namespace"), Some(world.main.name.as_str()));
    assert_eq!(span.get("db.operation.name"), Some("SELECT"));
    assert_eq!(span.get("db.query.summary"), Some("SELECT plans"));
    assert!(
        span.get("db.query.text")
            .is_some_and(|sql| sql.contains("plans"))
    );
    let returned = plans.len().to_string();
    assert_eq!(
        span.get("db.response.returned_rows"),
        Some(returned.as_str())
    );
}

#[tokio::test]
async fn a_streams_span_lasts_until_its_last_row_or_its_drop() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let record = provision(&world, "streamed", PlacementKind::Pool, MAIN_SERVER, "free").await;
    let db = connect(&world, TelemetryConfig::default()).await;
    let tenant = db.tenant(record.id).await.unwrap();
    for name in ["a", "b", "c"] {
        tenant
            .insert(NewCustomer::named(name))
            .exec()
            .await
            .unwrap();
    }
    let statements = || {
        let spans = capture::spans();
        named(&spans, "tenantry.statement")
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
    };
    capture::clear();
    let mut rows = tenant.select::<Customer>().stream().await.unwrap();
    rows.next().await.unwrap().unwrap();
    assert!(statements().is_empty(), "closed with rows left to read");
    while let Some(row) = rows.next().await {
        row.unwrap();
    }
    let ended = statements();
    assert_eq!(ended.len(), 1, "closed at the last row");
    assert_eq!(ended[0].get("db.response.returned_rows"), Some("3"));
    drop(rows);

    capture::clear();
    let mut rows = tenant.select::<Customer>().stream().await.unwrap();
    rows.next().await.unwrap().unwrap();
    assert!(statements().is_empty());
    drop(rows);
    let dropped = statements();
    assert_eq!(dropped.len(), 1, "closed at the drop");
    assert_eq!(dropped[0].get("db.response.returned_rows"), Some("1"));
    let durations = capture::metrics()
        .into_iter()
        .filter(|m| m.name == metric::OPERATION_DURATION)
        .count();
    assert_eq!(durations, 1, "its duration is recorded once");
    let usage = db.usage();
    assert_eq!((usage[0].statements, usage[0].rows), (5, 3 + 3 + 1));
}

#[tokio::test]
async fn a_failure_records_its_type_and_sqlstate() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let record = provision(&world, "failing", PlacementKind::Schema, MAIN_SERVER, "pro").await;
    let db = connect(&world, TelemetryConfig::default()).await;
    let tenant = db.tenant(record.id).await.unwrap();
    let customer = NewCustomer::named("once");
    tenant.insert(customer.clone()).exec().await.unwrap();
    capture::clear();

    let error = tenant.insert(customer).exec().await.unwrap_err();
    assert!(matches!(error, Error::Constraint { .. }), "{error}");
    let spans = capture::spans();
    let statement = named(&spans, "tenantry.statement")[0];
    assert_eq!(statement.get("error.type"), Some("constraint"));
    assert_eq!(statement.get("db.response.status_code"), Some("23505"));
    let failed = capture::metrics()
        .into_iter()
        .find(|m| m.name == metric::OPERATION_DURATION)
        .unwrap();
    assert_eq!(
        failed.labels.get(metric::ERROR_TYPE).map(String::as_str),
        Some("constraint")
    );
    let usage = db.usage();
    assert_eq!((usage[0].statements, usage[0].errors), (2, 1));
}

#[tokio::test]
async fn the_tenant_label_names_only_the_busiest_tenants() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let busy = provision(&world, "busy", PlacementKind::Pool, MAIN_SERVER, "pro").await;
    let calm = provision(&world, "calm", PlacementKind::Pool, MAIN_SERVER, "free").await;
    let db = connect(&world, TelemetryConfig::default().named_tenants(1)).await;
    let (busy_tenant, calm_tenant) = (
        db.tenant(busy.id).await.unwrap(),
        db.tenant(calm.id).await.unwrap(),
    );
    capture::clear();
    for _ in 0..5 {
        busy_tenant.select::<Customer>().all().await.unwrap();
    }
    calm_tenant.select::<Customer>().all().await.unwrap();
    let labels = |metrics: Vec<capture::Metric>| -> HashSet<(String, String)> {
        metrics
            .into_iter()
            .filter(|m| m.name == metric::OPERATION_DURATION)
            .map(|m| {
                (
                    m.labels[metric::TIER].clone(),
                    m.labels[metric::TENANT].clone(),
                )
            })
            .collect()
    };
    let first = labels(capture::metrics());
    assert_eq!(
        first,
        HashSet::from([
            ("pro".to_owned(), busy.slug.clone()),
            ("free".to_owned(), metric::OTHER_TENANTS.to_owned()),
        ])
    );

    // The calm tenant becomes the busier one: once the named tenants are
    // chosen again, it is named and the other one is not.
    for _ in 0..20 {
        calm_tenant.select::<Customer>().all().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    calm_tenant.select::<Customer>().all().await.unwrap();
    busy_tenant.select::<Customer>().all().await.unwrap();
    let second = labels(capture::metrics());
    assert!(
        second.contains(&("free".to_owned(), calm.slug.clone())),
        "{second:?}"
    );
    assert!(
        second.contains(&("pro".to_owned(), metric::OTHER_TENANTS.to_owned())),
        "{second:?}"
    );
}

#[tokio::test]
async fn usage_lists_the_busiest_tenant_first_over_a_sliding_window() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    let heavy = provision(&world, "heavy", PlacementKind::Schema, MAIN_SERVER, "pro").await;
    let light = provision(&world, "light", PlacementKind::Database, SECOND, "free").await;
    let window = Duration::from_secs(2);
    let db = connect(&world, TelemetryConfig::default().usage_window(window)).await;
    let (heavy_tenant, light_tenant) = (
        db.tenant(heavy.id).await.unwrap(),
        db.tenant(light.id).await.unwrap(),
    );
    heavy_tenant
        .insert_many((0..3).map(|n| NewCustomer::named(&format!("c{n}"))))
        .exec()
        .await
        .unwrap();
    for _ in 0..10 {
        heavy_tenant
            .raw_query("SELECT pg_sleep(0.01), 1 FROM customers", &[])
            .await
            .unwrap();
    }
    light_tenant.select::<Customer>().all().await.unwrap();

    let usage = db.usage();
    assert_eq!(usage.len(), 2, "{usage:#?}");
    let (first, second) = (&usage[0], &usage[1]);
    assert_eq!(first.tenant, heavy.id);
    assert_eq!(
        (first.name.as_str(), first.tier.as_str()),
        (heavy.slug.as_str(), "pro")
    );
    assert_eq!(first.placement, "schema");
    assert_eq!((first.statements, first.rows, first.errors), (11, 33, 0));
    assert!(first.time >= Duration::from_millis(300), "{first:?}");
    assert_eq!(second.tenant, light.id);
    assert_eq!((second.statements, second.rows), (1, 0));
    assert!(second.time < first.time);

    // A whole window later, nothing of it is left.
    tokio::time::sleep(window + Duration::from_millis(400)).await;
    assert_eq!(db.usage(), []);
}

#[tokio::test]
async fn a_pool_only_tenant_is_named_by_its_id_in_the_default_tier() {
    let _turn = capture::turn().await;
    let database = support::database::TestDatabase::create().await;
    let config = Config::new(&database.app_url()).unwrap().pool_only();
    let db = Tenantry::connect(config).await.unwrap();
    let id = tenantry::TenantId::random();
    let tenant = db.tenant(id).await.unwrap();
    capture::clear();
    tenant.select::<Customer>().count().await.unwrap();
    let spans = capture::spans();
    let statement = named(&spans, "tenantry.statement")[0];
    assert_eq!(statement.get("tenant.tier"), Some("default"));
    assert_eq!(statement.get("db.operation.name"), Some("SELECT"));
    assert_eq!(statement.get("db.namespace"), Some(database.name.as_str()));
    let usage = db.usage();
    assert_eq!(usage[0].name, id.to_string());
}

#[tokio::test]
async fn provisioning_erasure_and_migration_steps_each_have_a_span_naming_the_tenant() {
    let _turn = capture::turn().await;
    let world = World::create().await;
    capture::clear();
    let record = provision(&world, "lifecycle", PlacementKind::Database, SECOND, "pro").await;
    world
        .operator
        .erase(record.id, &because("telemetry test"))
        .await
        .unwrap();

    let spans = capture::spans();
    let id = record.id.to_string();
    let steps = |process: &str| -> Vec<&str> {
        named(&spans, "tenantry.step")
            .into_iter()
            .filter(|span| span.get("tenantry.process") == Some(process))
            .inspect(|span| assert_eq!(span.get("tenant.id"), Some(id.as_str()), "{span:?}"))
            .map(|span| span.get("tenantry.step").unwrap())
            .collect()
    };
    assert_eq!(
        steps("provisioning"),
        [
            "register",
            "create_database",
            "residency",
            "seed",
            "activate"
        ]
    );
    assert_eq!(
        steps("erasure"),
        [
            "fence",
            "drop_placement",
            "delete_rows",
            "delete_rows",
            "prove",
            "record"
        ]
    );
    let tenant_targets: Vec<_> = named(&spans, "tenantry.migration_target")
        .into_iter()
        .filter(|span| span.get("tenant.id") == Some(id.as_str()))
        .collect();
    assert_eq!(tenant_targets.len(), 1, "{spans:#?}");
    let database = record.placement.database().unwrap().to_string();
    assert_eq!(
        tenant_targets[0].get("db.namespace"),
        Some(format!("{database}|public").as_str())
    );
    assert_eq!(
        tenant_targets[0].get("tenantry.migration_set"),
        Some("tenant")
    );
}
