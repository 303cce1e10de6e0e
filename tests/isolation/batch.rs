//! A tenant's batch handle, on connections of its own, reaches only its
//! tenant's rows in every placement: what it reads with the builder is what
//! the tenant's handle reads, hand-written SQL without a filter sees and
//! changes only the tenant's rows, a stream ends with the tenant's rows
//! alone, and a write for another tenant, by id or by key, reaches nothing.

use futures_util::TryStreamExt;
use uuid::Uuid;

use super::{SEEDED_CUSTOMERS, Seeded, View, assert_owned, private_customer};
use crate::support::{Customer, Invoice};

#[tokio::test]
async fn a_batch_handle_reaches_only_its_tenants_rows() {
    let seeded = Seeded::everywhere().await;
    for (placed, tenant) in seeded.each() {
        let before = seeded.snapshot().await;
        let label = placed.label;
        let own = tenant.tenant().as_uuid();
        let batch = tenant.batch().unwrap();
        assert_eq!(batch.tenant(), tenant.tenant());
        let view = View::of(&batch).await;
        assert_eq!(view, View::of(tenant).await, "{label}");
        assert_owned(tenant, &view.customers, "a batch select");

        let streamed: Vec<Invoice> = batch
            .select::<Invoice>()
            .stream()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_owned(tenant, &streamed, "a batch stream");
        assert_eq!(streamed.len(), view.invoices.len(), "{label}");

        let owners: Vec<Uuid> = batch
            .raw_query("SELECT DISTINCT tenant_id FROM customers", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(owners, [own], "{label}");
        let touched = batch
            .raw_execute("UPDATE customers SET email = $1", &[&"batch@example.com"])
            .await
            .unwrap();
        assert_eq!(touched as usize, SEEDED_CUSTOMERS, "{label}");

        let transaction = batch.transaction().await.unwrap();
        let touched = transaction
            .raw_execute("UPDATE invoices SET paid = true", &[])
            .await
            .unwrap();
        assert_eq!(touched, 4, "{label} in a batch transaction");
        transaction.commit().await.unwrap();

        for other in seeded.others(placed) {
            let renamed = batch
                .update::<Customer>()
                .set(Customer::NAME, "renamed by a batch")
                .filter(Customer::ID.eq(private_customer(other)))
                .exec()
                .await
                .unwrap();
            assert_eq!(renamed, 0, "{label} renamed {other}'s customer");
            let deleted = batch
                .raw_execute(
                    "DELETE FROM customers WHERE tenant_id = $1",
                    &[&other.as_uuid()],
                )
                .await
                .unwrap();
            assert_eq!(deleted, 0, "{label} deleted {other}'s customers");
        }
        seeded.assert_only_changed(&before, Some(placed)).await;
    }
}
