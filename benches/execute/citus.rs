//! `execute/citus/*`, when `TENANTRY_TEST_CITUS_URL` names a Citus
//! coordinator: a point select of one tenant's customer in a table
//! distributed by `tenant_id` (row-level security forced on every shard),
//! by tenantry in Citus mode, side by side with raw tokio-postgres on a copy
//! of the table without row-level security (`tenant_id = $1` by hand, so
//! the coordinator routes it to one shard with no transaction block), and
//! with the raw driver sending the same context by hand: `BEGIN`, the
//! `SET LOCAL`s one query each, the select and `COMMIT`, pipelined; and with
//! the raw driver calling a function distributed by its tenant argument,
//! which the coordinator delegates whole to the tenant's worker, where it
//! sets the context itself: the one correct form without a transaction
//! block (a session-level `SET` or a `set_config` is not propagated).

use criterion::Criterion;
use tenantry::{Config, TenantId, Tenantry};
use tenantry_test_support::citus::{Cluster, coordinator_url};
use tenantry_test_support::servers::connect;
use tenantry_test_support::throwaway::{Family, Throwaway};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

use crate::support::{Customer, NewCustomer};

const FAMILY: Family = Family {
    prefix: "tenantry_citus_bench_",
    tenant_databases: "tenant_citus_bench_",
};

const CUSTOMERS: usize = 1_000;

const SCHEMA: &str = "
CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, email text,
                        PRIMARY KEY (tenant_id, id));
CREATE TABLE customers_plain (LIKE customers INCLUDING ALL);
SELECT create_distributed_table('customers_plain', 'tenant_id');
";

const PLAIN_SELECT: &str =
    "SELECT tenant_id, id, name, email FROM customers_plain WHERE tenant_id = $1 AND id = $2";
const CONTEXT_SELECT: &str =
    "SELECT tenant_id, id, name, email FROM customers WHERE tenant_id = $1 AND id = $2";

/// A customer's name, read on the worker that holds the tenant's shard in
/// the tenant's context.
const DELEGATED_FUNCTION: &str = "
CREATE FUNCTION customer_name(tenant uuid, customer uuid) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('tenantry.tenant_id', tenant::text, true);
    RETURN (SELECT name FROM customers WHERE tenant_id = tenant AND id = customer);
END
$$;
SELECT create_distributed_function('customer_name(uuid, uuid)', 'tenant', colocate_with := 'customers');
";

const DELEGATED_SELECT: &str = "SELECT customer_name($1, $2)";

/// A database on the cluster, dropped with the bench.
struct Database {
    cluster: Cluster,
    names: Throwaway,
}

impl Drop for Database {
    fn drop(&mut self) {
        let (cluster, names) = (self.cluster.clone(), self.names.clone());
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(cluster.drop(&names))
        })
        .join()
        .unwrap();
    }
}

struct Fixture {
    _database: Database,
    db: Tenantry,
    tenant: TenantId,
    ids: Vec<Uuid>,
    raw: Client,
}

async fn fixture(url: &str) -> Fixture {
    let cluster = Cluster::at(url).await;
    let names = FAMILY.fresh();
    cluster.create(&names).await;
    let database = Database { cluster, names };
    let (cluster, names) = (&database.cluster, &database.names);
    let admin = connect(&cluster.superuser_url(&cluster.coordinator, &names.database())).await;
    admin.batch_execute(SCHEMA).await.unwrap();
    tenantry::ops::rls::isolate_table(&admin, None, "customers")
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "SELECT tenantry.distribute_table('customers');
             GRANT SELECT, INSERT ON customers, customers_plain TO {}",
            names.app_role()
        ))
        .await
        .unwrap();
    admin.batch_execute(DELEGATED_FUNCTION).await.unwrap();
    admin
        .batch_execute(&format!(
            "GRANT EXECUTE ON FUNCTION customer_name(uuid, uuid) TO {}",
            names.app_role()
        ))
        .await
        .unwrap();
    let app_url = cluster.url_as(&cluster.coordinator, &names.database(), &names.app_role());
    let config = Config::new(&format!("{app_url}?sslmode=disable"))
        .unwrap()
        .pool_only()
        .citus(true);
    let db = Tenantry::connect(config).await.unwrap();
    let tenant = TenantId::random();
    let ids: Vec<Uuid> = (0..CUSTOMERS).map(|_| Uuid::new_v4()).collect();
    let handle = db.tenant(tenant).await.unwrap();
    handle
        .insert_many(ids.iter().map(|&id| NewCustomer {
            id,
            name: format!("customer {id}"),
            email: None,
        }))
        .exec()
        .await
        .unwrap();
    handle
        .raw_execute(
            "INSERT INTO customers_plain SELECT * FROM customers WHERE tenant_id = $1",
            &[&tenant.as_uuid()],
        )
        .await
        .unwrap();
    let (raw, connection) = tokio_postgres::connect(&app_url, NoTls).await.unwrap();
    tokio::spawn(connection);
    Fixture {
        _database: database,
        db,
        tenant,
        ids,
        raw,
    }
}

/// The context tenantry opens a tenant's transactions with on Citus,
/// written by hand, one query each.
fn context_begin(tenant: TenantId) -> [String; 4] {
    [
        "BEGIN".to_owned(),
        "SET LOCAL citus.propagate_set_commands = 'local'".to_owned(),
        format!("SET LOCAL tenantry.tenant_id = '{tenant}'"),
        "SET LOCAL search_path = public, pg_temp".to_owned(),
    ]
}

/// The Citus group, if a cluster is configured.
pub fn point_select(c: &mut Criterion, runtime: &Runtime) {
    let Some(url) = coordinator_url() else {
        println!("execute/citus not run: TENANTRY_TEST_CITUS_URL is not set");
        return;
    };
    let fixture = runtime.block_on(fixture(&url));
    let mut group = c.benchmark_group("execute/citus/point_select");
    let tenant = runtime.block_on(fixture.db.tenant(fixture.tenant)).unwrap();
    let mut next = 0;
    group.bench_function("tenantry", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % fixture.ids.len();
            let (id, tenant) = (fixture.ids[next], &tenant);
            async move {
                let customer: Customer = tenant
                    .select::<Customer>()
                    .filter(Customer::ID.eq(id))
                    .one()
                    .await
                    .unwrap();
                customer
            }
        })
    });
    let client = &fixture.raw;
    let tenant_uuid = fixture.tenant.as_uuid();
    let plain = runtime.block_on(client.prepare(PLAIN_SELECT)).unwrap();
    group.bench_function("tokio_postgres", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % fixture.ids.len();
            let (id, plain) = (fixture.ids[next], &plain);
            async move {
                let row = client.query_one(plain, &[&tenant_uuid, &id]).await.unwrap();
                let name: String = row.get(2);
                name
            }
        })
    });
    let in_context = runtime.block_on(client.prepare(CONTEXT_SELECT)).unwrap();
    let begin = context_begin(fixture.tenant);
    group.bench_function("tokio_postgres_in_context", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % fixture.ids.len();
            let (id, begin, in_context) = (fixture.ids[next], &begin, &in_context);
            async move {
                let begun = futures_util::future::join_all(
                    begin
                        .iter()
                        .map(|statement| client.batch_execute(statement)),
                );
                let (begun, row, committed) = futures_util::future::join3(
                    begun,
                    client.query_one(in_context, &[&tenant_uuid, &id]),
                    client.batch_execute("COMMIT"),
                )
                .await;
                begun.into_iter().collect::<Result<(), _>>().unwrap();
                committed.unwrap();
                let name: String = row.unwrap().get(2);
                name
            }
        })
    });
    let delegated = runtime.block_on(client.prepare(DELEGATED_SELECT)).unwrap();
    let check = runtime
        .block_on(client.query_one(&delegated, &[&tenant_uuid, &fixture.ids[0]]))
        .unwrap();
    assert!(
        check.get::<_, Option<String>>(0).is_some(),
        "the delegated function reads the tenant's row in its context"
    );
    group.bench_function("tokio_postgres_delegated_function", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % fixture.ids.len();
            let (id, delegated) = (fixture.ids[next], &delegated);
            async move {
                let row = client
                    .query_one(delegated, &[&tenant_uuid, &id])
                    .await
                    .unwrap();
                let name: Option<String> = row.get(0);
                name
            }
        })
    });
    group.finish();
}
