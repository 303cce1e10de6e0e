CREATE TABLE invoices (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    customer_id uuid NOT NULL,
    amount bigint NOT NULL,
    paid boolean NOT NULL,
    note text,
    created_at timestamptz NOT NULL
);
SELECT tenantry.tenant_key('invoices', 'id');
SELECT tenantry.distribute_table('invoices');
SELECT tenantry.tenant_reference('invoices', '{customer_id}', 'customers', '{id}');
