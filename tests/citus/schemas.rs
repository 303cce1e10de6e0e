//! Schema tenants with schema-based sharding: each tenant's schema is a
//! distributed schema, its tables kept together on one node, and its
//! statements routed there (the application role errors on multi-shard
//! queries), beside pool tenants of the same deployment.

use tenantry::Placement;
use tenantry::ops::PlacementKind;

use super::deployment::Deployment;
use crate::support::{Customer, Invoice, NewCustomer, NewInvoice};

#[tokio::test]
async fn schema_tenants_are_distributed_schemas_routed_to_their_node() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let first = deployment.provision("s1", PlacementKind::Schema).await;
    let second = deployment.provision("s2", PlacementKind::Schema).await;
    let pool = deployment.provision("p", PlacementKind::Pool).await;
    let admin = deployment.database.admin().await;
    for record in [&first, &second] {
        let Placement::Schema(schema) = &record.placement else {
            panic!("a schema tenant: {record:?}");
        };
        let row = admin
            .query_one(
                "SELECT count(DISTINCT p.colocationid), count(*),
                        bool_and(p.partmethod = 'n'),
                        EXISTS (SELECT FROM pg_dist_schema s
                                WHERE s.schemaid = $1::text::regnamespace)
                 FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
                 WHERE c.relnamespace = $1::text::regnamespace",
                &[&schema.as_str()],
            )
            .await
            .unwrap();
        let (colocations, tables, single_shard, distributed): (i64, i64, bool, bool) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        assert!(distributed, "{schema} is not a distributed schema");
        assert_eq!(
            (colocations, tables, single_shard),
            (1, 2, true),
            "{schema}"
        );
    }
    let db = deployment.connect().await;
    for (record, label) in [(&first, "s1"), (&second, "s2"), (&pool, "p")] {
        let tenant = db.tenant(record.id).await.unwrap();
        let customer = tenant
            .insert(NewCustomer::named(label))
            .one()
            .await
            .unwrap();
        tenant
            .insert(NewInvoice {
                id: uuid::Uuid::new_v4(),
                customer_id: customer.id,
                amount_cents: 42,
                paid: false,
                note: Some(label.to_owned()),
                created_at: time::OffsetDateTime::UNIX_EPOCH,
            })
            .exec()
            .await
            .unwrap();
        let joined: Vec<(String, Option<String>)> = tenant
            .select::<Invoice>()
            .inner_join::<Customer>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
            .columns((Customer::NAME, Invoice::NOTE))
            .all()
            .await
            .unwrap();
        assert_eq!(joined, [(label.to_owned(), Some(label.to_owned()))]);
        let raw = tenant
            .raw_query(
                "SELECT name FROM customers WHERE tenant_id = $1",
                &[&record.id.as_uuid()],
            )
            .await
            .unwrap();
        assert_eq!(raw.len(), 1, "{label}");
        let transaction = tenant.transaction().await.unwrap();
        assert_eq!(transaction.select::<Customer>().count().await.unwrap(), 1);
        transaction.commit().await.unwrap();
    }
}
