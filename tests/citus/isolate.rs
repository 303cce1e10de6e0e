//! `tenantry::ops::rls::isolate_table` on tables Citus already distributes.

use super::fixture::CitusDatabase;

/// Whether every shard of `table` on every worker has row-level security
/// enabled and forced, and tenantry's policy.
async fn shards_isolated(database: &CitusDatabase, table: &str) -> Vec<(String, bool)> {
    let mut shards = Vec::new();
    for worker in &database.cluster.workers {
        let client = database.worker(worker).await;
        // Workers hide shards from catalog queries unless told not to.
        client
            .batch_execute("SET citus.override_table_visibility = off")
            .await
            .expect("show the shards");
        let rows = client
            .query(
                "SELECT c.relname::text, c.relrowsecurity AND c.relforcerowsecurity
                     AND EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid
                                 AND p.polname = 'tenantry_tenant_isolation')
                 FROM pg_class c
                 WHERE c.relkind = 'r' AND c.relname ~ ('^' || $1 || '_[0-9]+$')",
                &[&table],
            )
            .await
            .expect("read the shards");
        shards.extend(rows.iter().map(|row| (row.get(0), row.get(1))));
    }
    shards
}

#[tokio::test]
async fn isolates_an_already_distributed_table_on_every_shard() {
    let Some(database) = CitusDatabase::create().await else {
        return;
    };
    let admin = database.admin().await;
    admin
        .batch_execute(
            "CREATE TABLE notes (tenant_id uuid NOT NULL, id bigint NOT NULL, body text,
                                 PRIMARY KEY (tenant_id, id));
             SELECT create_distributed_table('notes', 'tenant_id');",
        )
        .await
        .expect("distribute notes");
    tenantry::ops::rls::isolate_table(&admin, None, "notes")
        .await
        .expect("isolate the distributed table");
    // Again: the helpers exist now, and replacing them propagates too.
    tenantry::ops::rls::isolate_table(&admin, None, "notes")
        .await
        .expect("isolate it again");
    let shards = shards_isolated(&database, "notes").await;
    assert!(shards.len() >= 2, "shards on the workers: {shards:?}");
    assert!(shards.iter().all(|(_, isolated)| *isolated), "{shards:?}");
}
