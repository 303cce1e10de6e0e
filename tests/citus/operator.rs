//! The operator on Citus: migrations that make the tenant tables
//! distributed by `tenant_id` and co-located and the global tables reference
//! tables, and the audit reading each shard's row-level security on the
//! worker that holds it.

use tenantry::ops::verify::{Finding, VerifyOptions};

use super::deployment::Deployment;

#[tokio::test]
async fn migrations_distribute_and_verify_reads_every_shard() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let admin = deployment.database.admin().await;
    let rows = admin
        .query(
            "SELECT logicalrelid::regclass::text, partmethod::text, repmodel::text,
                    colocationid, column_to_column_name(logicalrelid, partkey)
             FROM pg_dist_partition ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let tables: Vec<(String, String, String, i32, Option<String>)> = rows
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
        .collect();
    let [customers, invoices, plans] = &tables[..] else {
        panic!("three distributed tables: {tables:?}");
    };
    assert_eq!(customers.0, "customers");
    assert_eq!(invoices.0, "invoices");
    assert_eq!(plans.0, "shared.plans");
    for table in [customers, invoices] {
        assert_eq!(
            (table.1.as_str(), table.4.as_deref()),
            ("h", Some("tenant_id"))
        );
    }
    assert_eq!(customers.3, invoices.3, "co-located");
    assert_eq!(
        (plans.1.as_str(), plans.2.as_str()),
        ("n", "t"),
        "a reference table"
    );

    let report = deployment
        .operator
        .verify(&VerifyOptions::default())
        .await
        .unwrap();
    assert!(report.is_clean(), "{report:#?}");

    // One shard loses its forced row-level security on its worker.
    let placement = admin
        .query_one(
            "SELECT shardid, nodeport FROM pg_dist_shard_placement
             WHERE shardid = (SELECT min(shardid) FROM pg_dist_shard
                              WHERE logicalrelid = 'customers'::regclass)",
            &[],
        )
        .await
        .unwrap();
    let (shard, port): (i64, i32) = (placement.get(0), placement.get(1));
    let worker = deployment
        .database
        .cluster
        .workers
        .iter()
        .find(|worker| i32::from(worker.port) == port)
        .expect("the shard's worker");
    deployment
        .database
        .worker(worker)
        .await
        .batch_execute(&format!(
            "ALTER TABLE customers_{shard} NO FORCE ROW LEVEL SECURITY"
        ))
        .await
        .unwrap();
    let report = deployment
        .operator
        .verify(&VerifyOptions::default())
        .await
        .unwrap();
    let findings: Vec<&Finding> = report
        .databases
        .iter()
        .flat_map(|database| &database.findings)
        .collect();
    assert_eq!(
        findings,
        [&Finding::ShardNotIsolated {
            schema: "public".to_owned(),
            table: "customers".to_owned(),
            shard,
        }]
    );
}
