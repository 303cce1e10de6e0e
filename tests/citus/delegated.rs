//! A delegated call: a function distributed by its tenant argument, called
//! for a pool tenant as one query that the coordinator hands whole to the
//! tenant's worker, where the function sets the context. It reaches that
//! tenant's rows only; a function that sets no context sees nothing (a
//! call the coordinator ran itself would see nothing either: the context it
//! sets is not propagated); outside Citus mode the call is refused.

use tenantry::{Error, Tenantry};
use time::OffsetDateTime;
use uuid::Uuid;

use super::deployment::Deployment;
use crate::support::{NewCustomer, NewInvoice};

/// Each tenant's total, read in the context its argument sets; the same
/// without a context; and one that asks, in its tenant's context, for
/// another tenant's invoices.
const FUNCTIONS: &str = "
CREATE FUNCTION invoice_total(tenant uuid) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('tenantry.tenant_id', tenant::text, true);
    RETURN (SELECT coalesce(sum(amount), 0) FROM invoices WHERE tenant_id = tenant);
END
$$;
CREATE FUNCTION total_without_context(tenant uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(sum(amount), 0) FROM invoices WHERE tenant_id = tenant
$$;
CREATE FUNCTION total_of_another(tenant uuid, other uuid) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('tenantry.tenant_id', tenant::text, true);
    RETURN (SELECT coalesce(sum(amount), 0) FROM invoices WHERE tenant_id = other);
END
$$;
SELECT create_distributed_function('invoice_total(uuid)', 'tenant', colocate_with := 'invoices');
SELECT create_distributed_function('total_without_context(uuid)', 'tenant', colocate_with := 'invoices');
SELECT create_distributed_function('total_of_another(uuid, uuid)', 'tenant', colocate_with := 'invoices');
";

#[tokio::test]
async fn a_delegated_call_reads_its_tenants_rows_only() {
    let Some(deployment) = Deployment::create().await else {
        return;
    };
    let admin = deployment.database.admin().await;
    admin.batch_execute(FUNCTIONS).await.expect("functions");
    admin
        .batch_execute(&format!(
            "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {}",
            deployment.database.names.app_role()
        ))
        .await
        .expect("grant");
    let db = deployment.connect().await;
    let tenants = deployment.pool_tenants(&db, &["a", "b"]).await;
    for (tenant, amount) in tenants.iter().zip([100_i64, 20_000]) {
        let customer = NewCustomer::named("customer");
        let customer_id = customer.id;
        tenant.insert(customer).exec().await.expect("customer");
        tenant
            .insert(NewInvoice {
                id: Uuid::new_v4(),
                customer_id,
                amount_cents: amount,
                paid: false,
                note: None,
                created_at: OffsetDateTime::UNIX_EPOCH,
            })
            .exec()
            .await
            .expect("insert");
    }

    for (tenant, amount) in tenants.iter().zip([100_i64, 20_000]) {
        let rows = tenant
            .call_delegated("public.invoice_total", &[])
            .await
            .expect("a delegated call");
        assert_eq!(rows[0].get::<_, i64>(0), amount);
        let rows = tenant
            .call_delegated("total_without_context", &[])
            .await
            .expect("a call without context");
        assert_eq!(rows[0].get::<_, i64>(0), 0, "no context, no rows");
    }
    let (a, b) = (&tenants[0], &tenants[1]);
    let rows = a
        .call_delegated("total_of_another", &[&b.tenant().as_uuid()])
        .await
        .expect("a call for another tenant's rows");
    assert_eq!(
        rows[0].get::<_, i64>(0),
        0,
        "a's context shows none of b's rows"
    );

    let refused = a
        .call_delegated("public.invoice_total(); DROP TABLE invoices; --", &[])
        .await;
    assert!(
        matches!(refused, Err(Error::Query(_) | Error::Config(_))),
        "{refused:?}"
    );

    let without_citus = Tenantry::connect(deployment.database.app_config().citus(false).registry())
        .await
        .expect("connect without Citus mode");
    let tenant = without_citus.tenant(a.tenant()).await.unwrap();
    let refused = tenant.call_delegated("invoice_total", &[]).await;
    assert!(matches!(refused, Err(Error::Config(_))), "{refused:?}");
}
