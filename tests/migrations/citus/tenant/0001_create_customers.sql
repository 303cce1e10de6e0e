CREATE TABLE customers (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    email text
);
SELECT tenantry.tenant_key('customers', 'id');
SELECT tenantry.distribute_table('customers');
