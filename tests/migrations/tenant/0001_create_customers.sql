CREATE TABLE customers (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    email text,
    PRIMARY KEY (tenant_id, id)
);
SELECT tenantry.isolate_table('customers');
