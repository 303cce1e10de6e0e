//! The online copy under attack: changes at the source that must reach the
//! moved tenant's destination as the tenant's alone, and never touch rows
//! of another tenant there.

use std::time::Duration;

use tenantry::MAIN_SERVER;
use tenantry::ops::{
    CopyMethod, Error as OpsError, PlacementKind, RelocationProgress, RelocationStep,
};

use super::fixtures::{fill, location, to};
use crate::support::NewCustomer;
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::Tenants;

/// A table without the tenant column whose rows are a tenant's through
/// their invoice (whose id is unique on its own).
const NOTES: &str = "CREATE UNIQUE INDEX invoices_id_key ON {schema}.invoices (id);
     CREATE TABLE {schema}.notes (
     id bigint PRIMARY KEY,
     invoice_id uuid NOT NULL REFERENCES {schema}.invoices (id),
     body text NOT NULL)";

/// A schema tenant of the second server whose notes table is truncated
/// there while it moves online into the main server's pool: the
/// truncation reaches the tenant's notes in the pool, and not those of
/// the neighbour living there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncation_at_the_source_clears_only_the_tenants_rows_of_a_pool_table() {
    let tenants = Tenants::provision(&[
        ("moving", PlacementKind::Schema, SECOND),
        ("neighbour", PlacementKind::Pool, MAIN_SERVER),
    ])
    .await;
    let (id, neighbour) = (tenants.placed[0].record.id, tenants.placed[1].record.id);
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    fill(&handles[0], "m", 3).await;
    fill(&handles[1], "n", 3).await;
    let (source, pool) = (tenants.placed[0].location(), tenants.placed[1].location());
    let source = tenants.admin(&source).await;
    let pool = tenants.admin(&pool).await;
    for (client, schema) in [
        (&source, tenants.placed[0].location().schema),
        (&pool, "public".to_owned()),
    ] {
        client
            .batch_execute(&NOTES.replace("{schema}", &format!("\"{schema}\"")))
            .await
            .unwrap();
    }
    let schema = tenants.placed[0].location().schema;
    source
        .execute(
            &format!(
                "INSERT INTO \"{schema}\".notes
                 SELECT row_number() OVER (), id, 'mine' FROM \"{schema}\".invoices"
            ),
            &[],
        )
        .await
        .unwrap();
    pool.execute(
        "INSERT INTO public.notes
         SELECT 100 + row_number() OVER (), id, 'theirs' FROM public.invoices
         WHERE tenant_id = $1",
        &[&neighbour.as_uuid()],
    )
    .await
    .unwrap();

    // Once the first copy is in, the tenant's notes are truncated at the
    // source: the stream carries the truncation.
    let truncate = format!("TRUNCATE \"{schema}\".notes");
    let progress = |event: RelocationProgress| {
        if event == RelocationProgress::Step(RelocationStep::Copied) {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(source.batch_execute(&truncate))
                    .unwrap();
            });
        }
    };
    let report = tenants
        .world
        .operator
        .relocate_with_progress(
            id,
            &to(PlacementKind::Pool, MAIN_SERVER),
            &TENANT,
            &progress,
        )
        .await
        .unwrap();
    assert_eq!(report.copy, Some(CopyMethod::Online));
    tokio::time::sleep(Duration::from_millis(10)).await;

    let bodies = |body: &'static str| {
        let pool = &pool;
        async move {
            let count: i64 = pool
                .query_one(
                    "SELECT count(*) FROM public.notes WHERE body = $1",
                    &[&body],
                )
                .await
                .unwrap()
                .get(0);
            count
        }
    };
    assert_eq!(bodies("mine").await, 0, "the tenant's notes came along");
    assert_eq!(
        bodies("theirs").await,
        3,
        "the neighbour's notes were erased"
    );
}

/// A row with another tenant's id in a schema tenant's table (written
/// there by its owner, past row-level security) is not the moved tenant's:
/// the first copy leaves it, and so does the stream, which would otherwise
/// put it among that tenant's rows in the destination pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_of_another_tenant_in_a_schema_tenants_table_is_not_streamed_into_the_pool() {
    let tenants = Tenants::provision(&[
        ("moving", PlacementKind::Schema, SECOND),
        ("neighbour", PlacementKind::Pool, MAIN_SERVER),
    ])
    .await;
    let (id, neighbour) = (tenants.placed[0].record.id, tenants.placed[1].record.id);
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    fill(&handles[0], "m", 3).await;
    fill(&handles[1], "n", 3).await;
    let schema = tenants.placed[0].location().schema;
    let source = tenants.admin(&tenants.placed[0].location()).await;
    let pool = tenants.admin(&tenants.placed[1].location()).await;

    let stray = format!(
        "INSERT INTO \"{schema}\".customers (tenant_id, id, name)
         VALUES ('{neighbour}', gen_random_uuid(), 'stray')"
    );
    let progress = |event: RelocationProgress| {
        if event == RelocationProgress::Step(RelocationStep::Copied) {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(source.batch_execute(&stray))
                    .unwrap();
            });
        }
    };
    let report = tenants
        .world
        .operator
        .relocate_with_progress(
            id,
            &to(PlacementKind::Pool, MAIN_SERVER),
            &TENANT,
            &progress,
        )
        .await
        .unwrap();
    assert_eq!(report.copy, Some(CopyMethod::Online));
    let strays: i64 = pool
        .query_one(
            "SELECT count(*) FROM public.customers WHERE name = 'stray'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(strays, 0, "a row of the neighbour came along into its pool");
}

/// A view at the destination that depends on a table's primary key (it
/// groups by the key and selects other columns) keeps the copy from
/// dropping that key to make it again after the rows: the key stays up
/// through the copy, and the move goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_a_view_depends_on_is_kept_through_a_copy_into_a_database() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    fill(&db.tenant(id).await.unwrap(), "c", 3).await;
    let operator = &tenants.world.operator;
    let world = &tenants.world;
    let progress = |event: RelocationProgress| {
        if event == RelocationProgress::Step(RelocationStep::Prepared) {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async {
                    let open = operator.relocation(id).await.unwrap().unwrap();
                    let database = open.to.placement.database().unwrap().as_str().to_owned();
                    world
                        .admin(SECOND, Some(&database))
                        .await
                        .batch_execute(
                            "CREATE VIEW public.customer_names AS
                             SELECT tenant_id, id, name FROM public.customers
                             GROUP BY tenant_id, id",
                        )
                        .await
                        .unwrap();
                });
            });
        }
    };
    let report = operator
        .relocate_with_progress(id, &to(PlacementKind::Database, SECOND), &TENANT, &progress)
        .await
        .unwrap();
    assert_eq!(report.relocation.step, RelocationStep::Flipped);
    let destination = tenants.admin(&location(&report.relocation.to)).await;
    let names: i64 = destination
        .query_one("SELECT count(*) FROM public.customer_names", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(names, 3);
}

/// A customer of the neighbour given to the moving tenant at the source
/// (its tenant column changed by the owner) while the tenant moves: the
/// row filter sends it as an insert, whose name, stored out of line and
/// unchanged, does not come with it. The destination gets the customer
/// whole (copied again under the fence), never with a name missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_given_to_the_tenant_with_an_unchanged_toasted_value_arrives_whole() {
    let tenants = Tenants::provision(&[
        ("moving", PlacementKind::Pool, SECOND),
        ("neighbour", PlacementKind::Pool, SECOND),
    ])
    .await;
    let (id, neighbour) = (tenants.placed[0].record.id, tenants.placed[1].record.id);
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    fill(&handles[0], "m", 3).await;
    let name: String = (0..6250)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    let given = NewCustomer::named(&name);
    let given_id = given.id;
    handles[1].insert(given).exec().await.unwrap();
    let source = tenants.admin(&tenants.placed[0].location()).await;

    let progress = |event: RelocationProgress| {
        if event == RelocationProgress::Step(RelocationStep::Copied) {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(source.execute(
                        "UPDATE public.customers SET tenant_id = $1 WHERE tenant_id = $2 AND id = $3",
                        &[&id.as_uuid(), &neighbour.as_uuid(), &given_id],
                    ))
                    .unwrap();
            });
        }
    };
    let report = tenants
        .world
        .operator
        .relocate_with_progress(
            id,
            &to(PlacementKind::Database, MAIN_SERVER),
            &TENANT,
            &progress,
        )
        .await
        .unwrap();
    assert_eq!(report.copy, Some(CopyMethod::Online));
    let destination = tenants.admin(&location(&report.relocation.to)).await;
    let arrived: Option<String> = destination
        .query_one(
            "SELECT name FROM public.customers WHERE tenant_id = $1 AND id = $2",
            &[&id.as_uuid(), &given_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(arrived.as_deref(), Some(name.as_str()));
}

/// A destination database of the tenant's own holding, before the flip, a
/// row with another tenant's id (written there by a superuser while the
/// move runs): the fenced step's digests count every row of a place of the
/// tenant's own, so the copy does not verify and the move rolls back
/// rather than serving the tenant from a database that holds another's row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stray_row_in_a_destination_of_the_tenants_own_fails_the_verification() {
    let tenants = Tenants::provision(&[
        ("moving", PlacementKind::Pool, SECOND),
        ("neighbour", PlacementKind::Pool, SECOND),
    ])
    .await;
    let (id, neighbour) = (tenants.placed[0].record.id, tenants.placed[1].record.id);
    let db = tenants.connect().await;
    fill(&tenants.handles(&db).await[0], "m", 3).await;
    let operator = &tenants.world.operator;
    let world = &tenants.world;
    let progress = |event: RelocationProgress| {
        if event == RelocationProgress::Step(RelocationStep::Copied) {
            tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(async {
                    let open = operator.relocation(id).await.unwrap().unwrap();
                    let database = open.to.placement.database().unwrap().as_str().to_owned();
                    world
                        .admin(MAIN_SERVER, Some(&database))
                        .await
                        .execute(
                            "INSERT INTO public.customers (tenant_id, id, name)
                             VALUES ($1, gen_random_uuid(), 'stray')",
                            &[&neighbour.as_uuid()],
                        )
                        .await
                        .unwrap();
                });
            });
        }
    };
    let moved = operator
        .relocate_with_progress(
            id,
            &to(PlacementKind::Database, MAIN_SERVER),
            &TENANT,
            &progress,
        )
        .await;
    assert!(
        matches!(moved, Err(OpsError::VerificationFailed { .. })),
        "{moved:?}"
    );
    let record = operator.relocation(id).await.unwrap().unwrap();
    assert_eq!(record.step, RelocationStep::RolledBack);
}

/// A partitioned table of the shared pool: its changes are decoded as its
/// own (not its partitions', which the move does not know), filtered on
/// the tenant by its row filter, while the tenant moves online to a
/// database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_pool_table_streams_the_tenants_changes_as_its_own() {
    const READINGS: &str = "CREATE TABLE public.readings (
         tenant_id uuid NOT NULL, id bigint NOT NULL, value text NOT NULL,
         PRIMARY KEY (tenant_id, id)) PARTITION BY HASH (tenant_id);
     CREATE TABLE public.readings_0 PARTITION OF public.readings
         FOR VALUES WITH (MODULUS 2, REMAINDER 0);
     CREATE TABLE public.readings_1 PARTITION OF public.readings
         FOR VALUES WITH (MODULUS 2, REMAINDER 1)";
    let tenants = Tenants::provision(&[
        ("moving", PlacementKind::Pool, SECOND),
        ("neighbour", PlacementKind::Pool, SECOND),
    ])
    .await;
    let (id, neighbour) = (tenants.placed[0].record.id, tenants.placed[1].record.id);
    let db = tenants.connect().await;
    fill(&tenants.handles(&db).await[0], "m", 3).await;
    let source = tenants.admin(&tenants.placed[0].location()).await;
    source.batch_execute(READINGS).await.unwrap();
    let reading = |tenant: tenantry::TenantId, n: i64| {
        let source = &source;
        async move {
            source
                .execute(
                    "INSERT INTO public.readings VALUES ($1, $2, 'r')",
                    &[&tenant.as_uuid(), &n],
                )
                .await
                .unwrap();
        }
    };
    reading(id, 1).await;
    reading(neighbour, 1).await;
    let operator = &tenants.world.operator;
    let world = &tenants.world;
    let progress = |event: RelocationProgress| {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                match event {
                    RelocationProgress::Step(RelocationStep::Prepared) => {
                        let open = operator.relocation(id).await.unwrap().unwrap();
                        let database = open.to.placement.database().unwrap().as_str().to_owned();
                        world
                            .admin(MAIN_SERVER, Some(&database))
                            .await
                            .batch_execute(READINGS)
                            .await
                            .unwrap();
                    }
                    RelocationProgress::Step(RelocationStep::Copied) => {
                        reading(id, 2).await;
                        reading(neighbour, 2).await;
                    }
                    _ => {}
                }
            });
        });
    };
    let report = operator
        .relocate_with_progress(
            id,
            &to(PlacementKind::Database, MAIN_SERVER),
            &TENANT,
            &progress,
        )
        .await
        .unwrap();
    assert_eq!(report.copy, Some(CopyMethod::Online));
    let destination = tenants.admin(&location(&report.relocation.to)).await;
    let rows = destination
        .query("SELECT tenant_id, id FROM public.readings ORDER BY id", &[])
        .await
        .unwrap();
    let rows: Vec<(uuid::Uuid, i64)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    assert_eq!(rows, [(id.as_uuid(), 1), (id.as_uuid(), 2)]);
}

/// A pool table whose replica identity is every column, one of them
/// `json` (a type without an equality operator): an update there finds
/// its row at the destination by the columns' text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_of_a_table_identified_by_every_column_finds_its_row_by_a_json_value() {
    const META: &str = "ALTER TABLE public.customers ADD COLUMN meta json";
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, SECOND)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    fill(&tenants.handles(&db).await[0], "m", 3).await;
    let source = tenants.admin(&tenants.placed[0].location()).await;
    source
        .batch_execute(&format!(
            "{META}; ALTER TABLE public.customers REPLICA IDENTITY FULL;
             UPDATE public.customers SET meta = '{{\"a\": [1, 2]}}'"
        ))
        .await
        .unwrap();
    let operator = &tenants.world.operator;
    let world = &tenants.world;
    let progress = |event: RelocationProgress| {
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                match event {
                    RelocationProgress::Step(RelocationStep::Prepared) => {
                        let open = operator.relocation(id).await.unwrap().unwrap();
                        let database = open.to.placement.database().unwrap().as_str().to_owned();
                        world
                            .admin(MAIN_SERVER, Some(&database))
                            .await
                            .batch_execute(META)
                            .await
                            .unwrap();
                    }
                    RelocationProgress::Step(RelocationStep::Copied) => {
                        source
                            .execute(
                                "UPDATE public.customers SET email = 'x@example.com'
                                 WHERE tenant_id = $1",
                                &[&id.as_uuid()],
                            )
                            .await
                            .unwrap();
                    }
                    _ => {}
                }
            });
        });
    };
    let report = operator
        .relocate_with_progress(
            id,
            &to(PlacementKind::Database, MAIN_SERVER),
            &TENANT,
            &progress,
        )
        .await
        .unwrap();
    assert_eq!(report.copy, Some(CopyMethod::Online));
    let destination = tenants.admin(&location(&report.relocation.to)).await;
    let emails: i64 = destination
        .query_one(
            "SELECT count(*) FROM public.customers WHERE email = 'x@example.com'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(emails, 3);
}
