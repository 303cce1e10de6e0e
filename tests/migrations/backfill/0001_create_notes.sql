CREATE TABLE notes (
    tenant_id uuid NOT NULL,
    id integer NOT NULL,
    body text NOT NULL
);
SELECT tenantry.tenant_key('notes', 'id');
SELECT tenantry.isolate_table('notes');
