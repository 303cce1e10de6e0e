CREATE TABLE invoices (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    customer_id uuid NOT NULL,
    amount bigint NOT NULL,
    paid boolean NOT NULL,
    note text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX invoices_tenant_customer ON invoices (tenant_id, customer_id);
SELECT tenantry.isolate_table('invoices');
