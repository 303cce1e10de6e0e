//! Support access reaches its tenant's rows and no other's, in every
//! placement: what it reads every way (built statements, a built join, a
//! stream, hand-written SQL without a tenant filter, a hand-written join, in
//! a transaction) is exactly what the tenant's own handle reads; naming
//! another placement's tables reaches nothing; reads across tenants run
//! each tenant in its own context; and nothing is written anywhere.

use futures_util::TryStreamExt;
use tenantry::ops::audit::AuditFilter;
use tenantry::{Access, Error, SupportAccess, TenantId};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{SHARED_INVOICES, Seeded, View};
use crate::support::tenants::Location;
use crate::support::{Customer, Invoice};

fn access() -> Access {
    Access {
        actor: "ada@support".to_owned(),
        reason: "isolation suite".to_owned(),
        ticket: None,
        expires: OffsetDateTime::now_utc() + Duration::minutes(10),
    }
}

/// What `support` reads of its tenant, the same way `View` reads a tenant.
async fn view_through(support: &SupportAccess) -> View {
    View {
        customers: support
            .select::<Customer>()
            .order_by(Customer::ID.asc())
            .all()
            .await
            .unwrap(),
        invoices: support
            .select::<Invoice>()
            .order_by(Invoice::ID.asc())
            .all()
            .await
            .unwrap(),
    }
}

/// The distinct tenant ids `sql` returns in its first column.
async fn owners(support: &SupportAccess, sql: &str) -> Vec<Uuid> {
    support
        .raw_query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn support_access_reads_exactly_what_its_tenant_reads() {
    let seeded = Seeded::everywhere().await;
    let before = seeded.snapshot().await;
    for (placed, tenant) in seeded.each() {
        let label = placed.label;
        let own = placed.uuid();
        let support = seeded
            .db
            .support_access(placed.record.id, access())
            .await
            .unwrap();
        assert_eq!(
            view_through(&support).await,
            View::of(tenant).await,
            "{label}"
        );

        let joined: Vec<(Uuid, String)> = support
            .select::<Invoice>()
            .inner_join::<Customer>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
            .columns((Invoice::ID, Customer::NAME))
            .all()
            .await
            .unwrap();
        assert_eq!(joined.len(), SHARED_INVOICES.len(), "{label}: built join");
        assert!(
            joined.iter().all(|(_, name)| name.starts_with(label)),
            "{label}: {joined:?}"
        );

        let streamed: Vec<Customer> = support
            .select::<Customer>()
            .stream()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert!(
            streamed
                .iter()
                .all(|customer| customer.tenant_id == placed.record.id)
        );

        assert_eq!(
            owners(&support, "SELECT DISTINCT tenant_id FROM customers").await,
            [own]
        );
        assert_eq!(
            owners(
                &support,
                "SELECT DISTINCT c.tenant_id FROM invoices i JOIN customers c ON c.id = i.customer_id
                 UNION SELECT DISTINCT i.tenant_id FROM invoices i JOIN customers c ON c.id = i.customer_id",
            )
            .await,
            [own],
            "{label}: hand-written join"
        );

        let transaction = support.transaction().await.unwrap();
        let seen: Vec<Uuid> = transaction
            .raw_query("SELECT DISTINCT tenant_id FROM invoices", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(seen, [own], "{label} in a transaction");
        transaction.commit().await.unwrap();

        // Another placement's tables in the same database: nothing, or refused.
        let here = placed.location();
        for there in seeded.tenants.locations() {
            if there == here || !same_database(&there, &here) {
                continue;
            }
            let table = format!("\"{}\".customers", there.schema);
            let read = support
                .raw_query(&format!("SELECT tenant_id FROM {table}"), &[])
                .await;
            match read {
                Ok(rows) => assert!(
                    rows.is_empty(),
                    "{label} read {} rows of {table}",
                    rows.len()
                ),
                Err(error) => assert!(
                    matches!(error, Error::PermissionDenied { .. }),
                    "{label} reading {table}: {error}"
                ),
            }
        }
    }
    // Every row of the log names one of the tenants, each tenant at least
    // once per use above.
    let audit = seeded
        .tenants
        .world
        .operator
        .audit_log(&AuditFilter::default())
        .await
        .unwrap();
    for (placed, _) in seeded.each() {
        let uses = audit
            .iter()
            .filter(|entry| entry.tenant == placed.record.id)
            .count();
        assert!(uses >= 7, "{}: {uses} recorded uses", placed.label);
    }
    seeded.assert_only_changed(&before, None).await;
}

#[tokio::test]
async fn reads_across_tenants_run_each_tenant_in_its_own_context() {
    let seeded = Seeded::everywhere().await;
    let before = seeded.snapshot().await;
    let ids: Vec<TenantId> = seeded.each().map(|(placed, _)| placed.record.id).collect();
    let across = seeded
        .db
        .across_tenants(ids.clone(), access())
        .await
        .unwrap();
    let sums = across
        .each(async |tenant| {
            let rows = tenant
                .raw_query(
                    "SELECT tenant_id, sum(amount)::bigint FROM invoices GROUP BY 1",
                    &[],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|row| (row.get::<_, Uuid>(0), row.get::<_, i64>(1)))
                .collect::<Vec<_>>())
        })
        .await
        .unwrap();
    let each_total: i64 = SHARED_INVOICES.iter().map(|&(_, _, amount)| amount).sum();
    assert_eq!(sums.len(), ids.len());
    for ((id, rows), asked) in sums.iter().zip(&ids) {
        assert_eq!(id, asked);
        assert_eq!(rows, &[(id.as_uuid(), each_total)], "{id}");
    }
    let operator = &seeded.tenants.world.operator;
    for id in ids {
        let filter = AuditFilter { tenant: Some(id) };
        assert_eq!(operator.audit_log(&filter).await.unwrap().len(), 1, "{id}");
    }
    assert!(operator.verify_audit().await.unwrap().is_intact());
    seeded.assert_only_changed(&before, None).await;
}

fn same_database(one: &Location, other: &Location) -> bool {
    one.server == other.server && one.database == other.database
}
