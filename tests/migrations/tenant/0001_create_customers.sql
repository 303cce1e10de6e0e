CREATE TABLE customers (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    email text
);
SELECT tenantry.tenant_key('customers', 'id');
SELECT tenantry.isolate_table('customers');
